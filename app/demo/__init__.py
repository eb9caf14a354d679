"""A believable demo county: `ejia demo` loads it so a newcomer sees a living community.

The foundation makes the tree and the people; each domain adds its records through a
`seed(session, ctx)` function listed in SEEDERS.
"""

from dataclasses import dataclass, field
from typing import cast

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.demo import meetings as meetings_demo
from app.demo import members as members_demo
from app.demo import stations as stations_demo
from app.demo import teams as teams_demo
from app.demo import timebank as timebank_demo
from app.demo import wishes as wishes_demo
from app.models.org import Org, OrgKind, UnitCommunity
from app.models.user import User
from app.services import orgs as orgs_service

# The demo admin signs in with this phone (the console SMS backend shows the code).
ADMIN_PHONE = "13900000000"


@dataclass
class DemoContext:
    """What the foundation made, by name, for the domain seeders."""

    alliance: Org
    orgs: dict[str, Org] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)


TREE = {
    "幸福社区": {
        "kind": OrgKind.community,
        "children": {
            "幸福里小区": {"kind": OrgKind.compound, "children": {"幸福里第一网格": {"kind": OrgKind.grid}}},
            "锦绣花园": {"kind": OrgKind.compound, "children": {"锦绣花园网格": {"kind": OrgKind.grid}}},
        },
    },
    "和平社区": {
        "kind": OrgKind.community,
        "children": {
            "和平新村": {"kind": OrgKind.compound, "children": {"和平新村网格": {"kind": OrgKind.grid}}},
            "滨河苑": {"kind": OrgKind.compound},
        },
    },
    "东城社区": {"kind": OrgKind.community, "children": {"东城家园": {"kind": OrgKind.compound}}},
}
UNITS = {
    "县自然资源局": ["幸福社区"],
    "县人民医院": ["幸福社区", "和平社区"],
    "实验小学": ["和平社区"],
    "国网供电公司": ["东城社区"],
    "阳光社工服务中心": ["幸福社区", "东城社区"],
}

# name, phone, home org, party member type, roles [(org, role)], skills
PEOPLE = [
    ("王书记", ADMIN_PHONE, "幸福社区", "in_service", [("alliance", "admin")], ["组织协调"]),
    ("李主任", "13900000001", "幸福社区", "in_service", [("幸福社区", "admin")], ["调解"]),
    (
        "赵网格员",
        "13900000002",
        "幸福里小区",
        None,
        [("幸福里第一网格", "staff"), ("幸福里小区", "staff")],
        [],
    ),
    ("孙站长", "13900000003", "锦绣花园", "retired", [("锦绣花园", "staff")], ["理发", "修理"]),
    ("周主任", "13900000004", "和平社区", "in_service", [("和平社区", "admin")], []),
    ("陈局长", "13900000005", "东城家园", "in_service", [("县自然资源局", "admin")], []),
    ("刘院长", "13900000006", "和平新村", "in_service", [("县人民医院", "admin")], ["义诊"]),
    ("张阿姨", "13800000001", "幸福里小区", None, [], []),
    ("钱大爷", "13800000002", "幸福里小区", None, [], []),
    ("吴奶奶", "13800000003", "锦绣花园", None, [], []),
    ("郑同学", "13800000004", "和平新村", None, [], ["辅导功课"]),
    ("冯医生", "13800000005", "幸福里小区", "in_service", [], ["义诊", "健康咨询"]),
    ("褚老师", "13800000006", "锦绣花园", "in_service", [], ["书法", "辅导功课"]),
    ("卫师傅", "13800000007", "和平新村", "retired", [], ["水电维修"]),
    ("蒋志愿者", "13800000008", "幸福里小区", None, [], ["陪伴", "跑腿"]),
    ("沈骑手", "13800000009", "东城家园", "mobile", [], []),
]

# Each domain's demo records, in an order where what one needs already exists.
SEEDERS: list = [
    wishes_demo.seed,
    members_demo.seed,
    meetings_demo.seed,
    stations_demo.seed,
    timebank_demo.seed,
    teams_demo.seed,
]


async def load_demo(session: AsyncSession, *, force: bool = False) -> bool:
    """Load the demo county once; returns False if the database already had organisations."""
    if not force and (await session.exec(select(func.count()).select_from(Org))).one():
        return False
    ctx = DemoContext(
        alliance=await orgs_service.add_org(
            session, name="灌云县党建联盟总站", kind=OrgKind.alliance, parent=None
        )
    )
    ctx.orgs["alliance"] = ctx.alliance
    await _add_tree(session, ctx, ctx.alliance, TREE)
    for unit_name, communities in UNITS.items():
        unit = await orgs_service.add_org(session, name=unit_name, kind=OrgKind.unit, parent=ctx.alliance)
        ctx.orgs[unit_name] = unit
        for community in communities:
            session.add(
                UnitCommunity(unit_id=cast(int, unit.id), community_id=cast(int, ctx.orgs[community].id))
            )
    for name, phone, home, member_type, roles, skills in PEOPLE:
        user = User(
            name=name,
            phone=phone,
            home_org_id=ctx.orgs[home].id,
            is_party_member=member_type is not None,
            member_type=member_type,
            skills=skills,
        )
        session.add(user)
        await session.flush()
        ctx.people[name] = user
        for org_name, role in roles:
            await orgs_service.grant_role(
                session, user_id=cast(int, user.id), org_id=cast(int, ctx.orgs[org_name].id), role=role
            )
    await session.flush()
    for seed in SEEDERS:
        await seed(session, ctx)
    await session.commit()
    return True


async def _add_tree(session: AsyncSession, ctx: DemoContext, parent: Org, tree: dict) -> None:
    for name, spec in tree.items():
        org = await orgs_service.add_org(session, name=name, kind=spec["kind"], parent=parent)
        ctx.orgs[name] = org
        await _add_tree(session, ctx, org, spec.get("children", {}))
