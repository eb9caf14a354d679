"""Demo teams (志愿服务队, 党员先锋队), demonstration posts (党员示范岗), members' promises on their service
cards, and a month of the stations' service logs: the alliance's own work, visible on the dashboard."""

from datetime import timedelta
from typing import cast

from sqlmodel import col, select

from app import clock
from app.models.demonstration import DemonstrationPost
from app.models.member_cards import MemberCard
from app.models.station_services import StationService
from app.models.stations import Station
from app.models.teams import MemberStatus, Team, TeamMember
from app.models.wishes import Wish

# name, kind, org, leader, members (active), pending, skills, area
TEAMS = [
    (
        "幸福里志愿服务队",
        "volunteer",
        "幸福社区",
        "冯医生",
        ["蒋志愿者", "褚老师"],
        ["郑同学"],
        ["义诊", "陪伴", "跑腿"],
        "幸福里小区、锦绣花园",
    ),
    (
        "和平党员先锋队",
        "vanguard",
        "和平社区",
        "卫师傅",
        ["刘院长"],
        [],
        ["水电维修", "义诊"],
        "和平新村、滨河苑",
    ),
    ("锦绣青年突击队", "other", "锦绣花园", "褚老师", ["郑同学"], [], ["辅导功课", "书法"], "锦绣花园"),
]

# holder (a person or a station), title, duty, months ago it started
POSTS = [
    ("冯医生", None, "党员示范岗·健康守护", "每周二上午在幸福里红色驿站义诊，为独居老人建健康档案", 6),
    ("卫师傅", None, "党员示范岗·水电先锋", "小区水电应急维修，随叫随到", 10),
    ("褚老师", None, "党员示范岗·四点半课堂", "放学后为双职工家庭孩子辅导功课", 3),
    (None, "东城家园调解驿站", "党员示范岗·调解驿站", "邻里纠纷就地调解，矛盾不出社区", 8),
]

PROMISES = {
    "冯医生": ["每周二上午义诊", "独居老人上门量血压"],
    "卫师傅": ["水电维修随叫随到", "每月检查一次楼道电线"],
    "褚老师": ["每周三、五辅导功课", "春节义写春联"],
    "孙站长": ["每周六义务理发"],
}

# station, kind, count per week
SERVICES = [
    ("锦绣花园红色口袋驿站", "理发", 6),
    ("锦绣花园红色口袋驿站", "维修", 3),
    ("和平新村骑手驿站", "骑手歇脚", 25),
    ("东城家园调解驿站", "调解", 2),
    ("东城家园调解驿站", "政策咨询", 4),
    ("幸福里红色驿站", "义诊", 5),
]


async def seed(session, ctx) -> None:
    people, orgs = ctx.people, ctx.orgs
    now, today = clock.now(), clock.today()
    teams = []
    for name, kind, org, leader, members, pending, skills, area in TEAMS:
        team = Team(
            org_id=orgs[org].id,
            name=name,
            kind=kind,
            leader_id=people[leader].id,
            skills=skills,
            service_area=area,
            created_by_id=people["王书记"].id,
        )
        session.add(team)
        await session.flush()
        teams.append(team)
        for who in [leader, *members]:
            session.add(
                TeamMember(
                    team_id=cast(int, team.id),
                    user_id=people[who].id,
                    status=MemberStatus.active,
                    joined_at=now,
                )
            )
        for who in pending:
            session.add(
                TeamMember(team_id=cast(int, team.id), user_id=people[who].id, status=MemberStatus.pending)
            )
    # The first team answers the wishes its leader's people took: they count as its work.
    members = [people[n].id for n in ("冯医生", "蒋志愿者", "褚老师")]
    done = (
        await session.exec(
            select(Wish).where(
                col(Wish.claimer_id).in_(members), col(Wish.status).in_(("done", "confirmed", "verified"))
            )
        )
    ).all()
    for wish in done:
        wish.assigned_team_id = teams[0].id
        session.add(wish)
    stations = {s.name: s for s in (await session.exec(select(Station))).all()}
    for person, station, title, duty, months in POSTS:
        holder = stations.get(station) if station else None
        session.add(
            DemonstrationPost(
                org_id=holder.org_id if holder else people[person].home_org_id,
                user_id=people[person].id if person else None,
                station_id=holder.id if holder else None,
                title=title,
                duty=duty,
                starts_on=today - timedelta(days=30 * months),
                created_by_id=people["李主任"].id,
            )
        )
    for who, promises in PROMISES.items():
        session.add(MemberCard(user_id=people[who].id, commitments=promises, updated_at=now))
    for station_name, kind, per_week in SERVICES:
        station = stations.get(station_name)
        if station is None:
            continue
        for week in range(4):
            session.add(
                StationService(
                    station_id=station.id,
                    org_id=station.org_id,
                    kind=kind,
                    count=per_week + week % 2,
                    served_on=today - timedelta(days=7 * week + 1),
                    recorded_by_id=station.master_id or people["王书记"].id,
                )
            )
    await session.flush()
