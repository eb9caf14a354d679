"""The demo county's meetings and co-building work: a year of 联席会议 with a rotating chair, 议事会 and
民情研判会 with resolutions (公示) and action items in every state, commitments on the hospital's
agreement, the alliance's assessment items and itemised scores, one set approved (审定)."""

from datetime import datetime, timedelta
from typing import cast

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.models.activities import Activity, Attendance
from app.models.assessments import AgreementCommitment, AssessmentItem
from app.models.cobuilding import CoBuildingAgreement, CoBuildingAssessment
from app.models.meetings import ActionItem, ChairRotation, MeetingMinutes, MeetingResolution
from app.services.cobuilding import weighted_total
from app.services.member_reports import this_year

ROTATION = ["县人民医院", "县自然资源局", "阳光社工服务中心"]

ITEMS = [
    ("项目认领与完成", 30, "wishes_done"),
    ("共建活动开展", 20, "activities_run"),
    ("在职党员服务", 20, "member_hours"),
    ("督办事项落实", 15, "action_items_done"),
    ("联席会议参与", 15, None),
]

# days ago, kind, place, title, minutes, resolutions, [(item, owner unit or person, due in days, state)]
MEETINGS = [
    (
        300,
        "联席会议",
        "幸福社区",
        "第一季度共建联席会议",
        "通报上年度共建情况，研究本年度共建项目清单，各单位认领项目。",
        ["各单位一周内报送本年度共建项目", "建立共建单位联络员制度"],
        [("报送本年度共建项目清单", "县自然资源局", -290, "done")],
    ),
    (
        210,
        "联席会议",
        "幸福社区",
        "第二季度共建联席会议",
        "研究老旧小区停车难和楼道照明问题，交接轮值主席。",
        ["县人民医院停车场夜间向居民开放", "楼道照明纳入共建项目"],
        [
            ("制定停车场夜间开放方案", "县人民医院", -200, "done"),
            ("楼道照明改造摸底", "阳光社工服务中心", -150, "overdue"),
        ],
    ),
    (
        120,
        "联席会议",
        "幸福社区",
        "第三季度共建联席会议",
        "研究暑期少儿托管和高龄老人助餐，交接轮值主席。",
        ["开设暑期红色学堂", "助餐点每周三次送餐上门"],
        [("暑期红色学堂招募志愿者", "县自然资源局", -100, "done")],
    ),
    (
        30,
        "联席会议",
        "幸福社区",
        "第四季度共建联席会议",
        "总结全年共建工作，布置年终考核。",
        ["各单位报送年度共建总结", "评选优秀共建单位"],
        [
            ("报送年度共建总结", "阳光社工服务中心", 20, "open"),
            ("整理全年共建台账", "县人民医院", 10, "open"),
        ],
    ),
    (
        45,
        "议事会",
        "幸福里小区",
        "幸福里小区红色议事会",
        "居民代表、业委会、物业共同协商电动车充电难问题。",
        ["在 5 号楼东侧增设集中充电桩", "楼道内禁止停放电动车，物业每周巡查"],
        [("联系供电公司勘察充电桩位置", "赵网格员", 15, "open")],
    ),
    (
        15,
        "民情研判会",
        "幸福社区",
        "十一月民情研判会",
        "梳理本月网格上报的民情 23 件，研判重点问题 3 个。",
        ["噪音扰民问题由网格员牵头上门调解"],
        [("上门调解噪音纠纷", "赵网格员", -3, "overdue")],
    ),
]

ATTENDEES = ["李主任", "刘院长", "陈局长", "冯医生", "张阿姨", "钱大爷"]


async def seed(session: AsyncSession, ctx) -> None:
    """Add the meetings, commitments and assessments to the demo county."""
    now = clock.now()
    today = clock.today()
    secretary = ctx.people["李主任"]
    community = ctx.orgs["幸福社区"]
    rotation = [ctx.orgs[name].id for name in ROTATION]
    session.add(ChairRotation(org_id=community.id, unit_ids=rotation, updated_by_id=ctx.people["王书记"].id))
    joint = 0
    for days_ago, kind, place, title, text, resolutions, items in MEETINGS:
        starts = (
            (now - timedelta(days=days_ago))
            .astimezone(CHINA)
            .replace(hour=9, minute=0, second=0, microsecond=0)
        )
        activity = Activity(
            org_id=ctx.orgs[place].id,
            title=title,
            kind=kind,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location="社区党群服务中心会议室",
            capacity=40,
            signup_required=False,
            closed_at=starts + timedelta(hours=2),
            created_by_id=secretary.id,
        )
        session.add(activity)
        await session.flush()
        for name in ATTENDEES:
            session.add(
                Attendance(
                    activity_id=cast(int, activity.id),
                    user_id=ctx.people[name].id,
                    method="code",
                    signed_in_at=starts,
                )
            )
        chair = None
        if kind == "联席会议":
            chair, joint = rotation[joint % len(rotation)], joint + 1
        session.add(
            MeetingMinutes(
                activity_id=cast(int, activity.id),
                text=text,
                public=True,
                chair_unit_id=chair,
                written_by_id=secretary.id,
                created_at=starts + timedelta(hours=3),
                updated_at=starts + timedelta(hours=3),
            )
        )
        for position, resolution in enumerate(resolutions, start=1):
            session.add(
                MeetingResolution(activity_id=cast(int, activity.id), position=position, text=resolution)
            )
        for item_text, owner, due_in, state in items:
            unit = ctx.orgs.get(owner)
            session.add(
                ActionItem(
                    activity_id=cast(int, activity.id),
                    org_id=activity.org_id,
                    text=item_text,
                    owner_org_id=unit.id if unit else None,
                    owner_user_id=None if unit else ctx.people[owner].id,
                    due_on=today + timedelta(days=due_in),
                    status=state,
                    escalated_org_id=ctx.orgs[place].parent_id if state == "overdue" else None,
                    overdue_at=now if state == "overdue" else None,
                    done_note="已按期完成，材料已报社区" if state == "done" else None,
                    done_at=starts + timedelta(days=7) if state == "done" else None,
                    created_by_id=secretary.id,
                    created_at=starts + timedelta(hours=3),
                )
            )

    # Commitments on the hospital's agreement with 幸福社区.
    agreement = (
        await session.exec(
            select(CoBuildingAgreement).where(
                CoBuildingAgreement.unit_id == ctx.orgs["县人民医院"].id,
                CoBuildingAgreement.community_id == community.id,
            )
        )
    ).first()
    if agreement is not None:
        for kind, title, target, period in (
            ("service", "每月到社区义诊一次", 12, "year"),
            ("project", "认领群众微心愿", 6, "year"),
            ("resource", "开放职工食堂为环卫工人提供热饭", 4, "quarter"),
        ):
            session.add(
                AgreementCommitment(
                    agreement_id=cast(int, agreement.id),
                    kind=kind,
                    title=title,
                    target=target,
                    period=period,
                    created_by_id=secretary.id,
                )
            )

    # The alliance's assessment items, last year's scores approved, this year's under review.
    for position, (name, weight, source) in enumerate(ITEMS, start=1):
        session.add(
            AssessmentItem(org_id=ctx.alliance.id, position=position, name=name, weight=weight, source=source)
        )
    last = this_year() - 1
    approved_at = datetime(last + 1, 1, 20, 10, tzinfo=CHINA)
    for unit_name, year, scores, approved in (
        ("县人民医院", last, [95, 90, 88, 100, 100], True),
        ("阳光社工服务中心", last, [85, 92, 70, 80, 90], True),
        ("县自然资源局", last, [80, 75, 85, 90, 80], True),
        ("县人民医院", this_year(), [92, 88, 90, 85, 100], False),
    ):
        scored = [
            {
                "item": name,
                "weight": weight,
                "source": source,
                "auto": None,
                "score": score,
                "reason": "按台账核定",
            }
            for (name, weight, source), score in zip(ITEMS, scores, strict=True)
        ]
        unit = ctx.orgs[unit_name]
        row = (
            await session.exec(
                select(CoBuildingAssessment).where(
                    CoBuildingAssessment.unit_id == unit.id,
                    CoBuildingAssessment.community_id == community.id,
                    CoBuildingAssessment.year == year,
                )
            )
        ).first()
        if row is None:
            row = CoBuildingAssessment(
                unit_id=unit.id, community_id=community.id, year=year, score=0, reasons=""
            )
        row.items, row.score, row.rater_id = scored, round(weighted_total(scored)), secretary.id
        row.reasons = "；".join(f"{s['item']}：{s['reason']}" for s in scored)
        if approved:
            row.approved_at, row.approved_by_id = approved_at, ctx.people["王书记"].id
        session.add(row)
    await session.flush()
