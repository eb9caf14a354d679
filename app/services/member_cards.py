"""扫码为你服务: a member's printable personal QR card, the public profile it opens, and "请他帮忙".

The code on a card is the member's id with a signature (made with the QR codes' own key), so a card
needs no row to exist and no one can make up another member's code. Anyone signed in who scans it sees
the member's profile with the phone masked, their skills, their promises (承诺事项, set by the member),
demonstration posts and teams, and can ask for help: a wish asked of that member (or their team),
reviewed by staff like any wish.
"""

import hmac
from typing import cast

from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.config import get_settings
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.member_cards import CardPublic, CardUpdate, HelpRequest, MemberCard, PublicProfile, TeamBrief
from app.models.member_reports import MEMBER_TYPE_LABELS
from app.models.org import Org
from app.models.teams import TEAM_KIND_LABELS
from app.models.user import User
from app.models.wishes import WishCreate, WishPublic
from app.permissions import belonging_org_id, has_role_over, may_see_published
from app.services import content, lookups, qr
from app.services import demonstration as demonstration_service
from app.services import teams as teams_service
from app.services import wishes as wishes_service


def code_for(user_id: int) -> str:
    """The code printed on the member's card."""
    return f"{user_id}-{qr.make_token('m', user_id, 0).rsplit('.', 1)[1][:12]}"


def _user_id_of(code: str) -> int:
    """The member a card code names; a code we did not sign is 404."""
    head, _, _sig = code.partition("-")
    if (
        head.isdigit()
        and 0 < len(head) <= 10
        and hmac.compare_digest(code.encode(), code_for(int(head)).encode())
    ):
        return int(head)
    raise NotFound("二维码无效或已失效", code="card_not_found")


def page_url(code: str) -> str:
    """The H5 page a card opens."""
    return f"{get_settings().public_base_url.rstrip('/')}/m/{code}"


async def _card_row(session: AsyncSession, user_id: int) -> MemberCard | None:
    return await session.get(MemberCard, user_id)


async def _eligible(session: AsyncSession, member: User) -> bool:
    """Party members, holders of a demonstration post and members of a team have a card."""
    if member.is_party_member:
        return True
    if await demonstration_service.held_by(session, user_id=member.id):
        return True
    return bool(await teams_service.teams_of(session, user_id=cast(int, member.id)))


async def _member_for(session: AsyncSession, *, user_id: int, actor: User) -> User:
    """The member, for themselves or staff over their home; anyone else 404."""
    member = await session.get(User, user_id)
    if member is not None and (
        member.id == actor.id
        or (
            member.home_org_id
            and await has_role_over(session, user_id=cast(int, actor.id), org_id=member.home_org_id)
        )
    ):
        return member
    raise NotFound("找不到该党员", code="member_not_found")


async def get_card(session: AsyncSession, *, user_id: int, actor: User) -> CardPublic:
    """The member's card: `code`, the page `url` it opens, and their promises (the member or staff over them)."""
    member = await _member_for(session, user_id=user_id, actor=actor)
    if not await _eligible(session, member):
        raise Conflict("党员、示范岗和服务队成员才有服务码", code="card_not_available")
    row = await _card_row(session, cast(int, member.id))
    code = code_for(cast(int, member.id))
    return CardPublic(
        user_id=cast(int, member.id),
        code=code,
        url=page_url(code),
        commitments=row.commitments if row else [],
    )


async def card_svg(session: AsyncSession, *, user_id: int, actor: User) -> str:
    """The card's QR code as SVG, opening the member's public page."""
    card = await get_card(session, user_id=user_id, actor=actor)
    return await qr.svg(card.url)


async def set_commitments(
    session: AsyncSession, *, user_id: int, data: CardUpdate, actor: User
) -> CardPublic:
    """The member sets the promises their card shows (承诺事项); only they may."""
    member = await _member_for(session, user_id=user_id, actor=actor)
    if member.id != actor.id:
        raise Forbidden("承诺事项由党员本人填写", code="not_card_owner")
    content.check_text(*data.commitments)
    row = await _card_row(session, cast(int, member.id)) or MemberCard(user_id=cast(int, member.id))
    row.commitments = list(dict.fromkeys(data.commitments))
    row.updated_at = clock.now()
    session.add(row)
    await session.commit()
    return await get_card(session, user_id=cast(int, member.id), actor=actor)


async def profile(session: AsyncSession, *, code: str, viewer: User) -> PublicProfile:
    """What a resident sees after scanning a card: the member's public profile, phone masked."""
    member = await session.get(User, _user_id_of(code))
    if member is None or not await _eligible(session, member):
        raise NotFound("二维码无效或已失效", code="card_not_found")
    row = await _card_row(session, cast(int, member.id))
    home = await session.get(Org, member.home_org_id) if member.home_org_id else None
    teams = await teams_service.teams_of(session, user_id=cast(int, member.id))
    return PublicProfile(
        code=code,
        user_id=cast(int, member.id),
        name=member.name or "党员",
        phone=lookups.shown_phone(member.phone, full=viewer.id == member.id),
        org_name=home.name if home else None,
        is_party_member=member.is_party_member,
        member_type_label=MEMBER_TYPE_LABELS.get(member.member_type or ""),
        skills=member.skills,
        commitments=row.commitments if row else [],
        demonstration_posts=await demonstration_service.held_by(session, user_id=member.id),
        teams=[
            TeamBrief(id=cast(int, t.id), name=t.name, kind_label=TEAM_KIND_LABELS.get(t.kind, t.kind))
            for t in teams
        ],
    )


async def ask_for_help(session: AsyncSession, *, code: str, data: HelpRequest, actor: User) -> WishPublic:
    """请他帮忙: a wish asked of the member (or of one of their teams), reviewed by staff like any wish."""
    member = await session.get(User, _user_id_of(code))
    if member is None or not await _eligible(session, member):
        raise NotFound("二维码无效或已失效", code="card_not_found")
    if member.id == actor.id:
        raise Conflict("不能请自己帮忙", code="cannot_ask_yourself")
    # The wish lands on the wall of the asker's (or the member's) alliance: only its people may ask.
    place = belonging_org_id(member)
    if place is not None and not await may_see_published(session, person=actor, org_id=place):
        raise Forbidden("只能请本联盟的党员帮忙", code="member_outside_alliance")
    if data.team_id is not None and data.team_id not in {
        t.id for t in await teams_service.teams_of(session, user_id=cast(int, member.id))
    }:
        raise ValidationFailed("请选择该党员所在的服务队", code="invalid_team")
    org_id = actor.home_org_id or member.home_org_id
    wish = WishCreate(title=data.title, description=data.description, category=data.category, org_id=org_id)
    return await wishes_service.create_wish(
        session, data=wish, actor=actor, asked_of=member, team_id=data.team_id
    )
