"""What the shell pages show, gathered from the domain services."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.org import KIND_LABELS, ROLE_LABELS, Org, OrgKind
from app.models.user import User
from app.permissions import roles_with_orgs
from app.services import activities as activities_service
from app.services import stations as stations_service
from app.services import wish_views


async def home(session: AsyncSession, *, user: User) -> dict:
    """The home page: the compound's wish wall, nearby stations, upcoming activities."""
    home_org = await session.get(Org, user.home_org_id) if user.home_org_id else None
    return {
        "home_org": home_org,
        "wishes": await wish_views.wall(session, user=user, limit=5),
        "stations": await stations_service.nearest_for_user(session, user=user, limit=3),
        "activities": await activities_service.upcoming_for_user(session, user=user, limit=3),
    }


async def me(session: AsyncSession, *, user: User) -> dict:
    choices = (
        await session.exec(
            select(Org)
            .where(Org.kind.in_((OrgKind.compound, OrgKind.community)))
            .order_by(Org.path)
            .limit(500)
        )
    ).all()
    return {"home_choices": choices, "roles": await _roles(session, user=user)}


# The staff console's sections; each domain's pages module serves its own.
ADMIN_LINKS = [
    ("/admin/wishes", "心愿审核与验收"),
    ("/admin/reports", "在职党员报到、岗位与反馈"),
    ("/admin/events", "网格事件分派与督查"),
    ("/admin/stations", "红色驿站与值班"),
    ("/timebank/rewards/manage", "爱心超市（兑换与上架）"),
    ("/admin/activities", "活动与签到"),
    ("/admin/resources", "共建单位服务资源清单"),
    ("/admin/stats", "台账统计与四项清单导出"),
]


async def admin(session: AsyncSession, *, user: User) -> dict:
    return {"roles": await _roles(session, user=user), "admin_links": ADMIN_LINKS}


async def _roles(session: AsyncSession, *, user: User) -> list[dict]:
    rows = await roles_with_orgs(session, user_id=user.id)
    return [
        {
            "org_id": org.id,
            "org_name": org.name,
            "kind": KIND_LABELS.get(org.kind, org.kind),
            "role": role.role,
            "label": ROLE_LABELS.get(role.role, role.role),
        }
        for role, org in rows
    ]
