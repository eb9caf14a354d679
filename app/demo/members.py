"""Demo in-service party members (reports in several states, a move, posts with claims and logs, last
year's feedback), a co-building agreement and score, and grid events in every state."""

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.models.cobuilding import CoBuildingAgreement, CoBuildingAssessment
from app.models.events import GridEvent, GridEventStep
from app.models.feedback import MemberFeedback
from app.models.member_reports import MemberReport, MemberReportStep
from app.models.posts import Post, PostClaim, PostLog
from app.services.member_reports import CHINA, this_year


def _report(
    session, ctx, who, branch, unit, *, year, status, at, reviewer="李主任", reason=None, previous=None
):
    report = MemberReport(
        user_id=ctx.people[who].id,
        org_id=ctx.orgs[branch].id,
        employer_unit_id=ctx.orgs[unit].id,
        year=year,
        period=str(year),
        status=status,
        skills=list(ctx.people[who].skills),
        availability="周末、工作日晚上",
        previous_id=previous.id if previous else None,
        reviewer_id=ctx.people[reviewer].id if status in ("approved", "rejected", "moved") else None,
        reviewed_at=at + timedelta(days=1) if status in ("approved", "rejected", "moved") else None,
        reject_reason=reason,
        created_at=at,
        updated_at=at,
    )
    session.add(report)
    return report


async def _steps(session, report, ctx, who, at, actions):
    await session.flush()
    if report.status not in ("pending", "approved"):
        report.active = (
            None  # closed reports leave the one-active-per-period key (an insert would take the default)
        )
        session.add(report)
        await session.flush()
    for i, (action, actor, note) in enumerate(actions):
        session.add(
            MemberReportStep(
                report_id=report.id,
                at=at + timedelta(days=i),
                action=action,
                note=note,
                actor_id=ctx.people[actor or who].id,
            )
        )


async def seed(session: AsyncSession, ctx) -> None:
    """Add the members' and the grid's records to the demo county."""
    now = clock.now()
    year = this_year()
    start_of_year = datetime(year, 1, 1, tzinfo=CHINA)
    early = max(now - timedelta(days=60), start_of_year + timedelta(days=1))

    # Reports: approved, pending, rejected, and a move with its history kept.
    feng = _report(
        session,
        ctx,
        "冯医生",
        "幸福里小区",
        "县人民医院",
        year=year,
        status="approved",
        at=early,
        reviewer="赵网格员",
    )
    await _steps(session, feng, ctx, "冯医生", early, [("report", None, None), ("approve", "赵网格员", None)])
    chu_old = _report(
        session,
        ctx,
        "褚老师",
        "幸福里小区",
        "实验小学",
        year=year,
        status="moved",
        at=early,
        reviewer="赵网格员",
    )
    await _steps(
        session,
        chu_old,
        ctx,
        "褚老师",
        early,
        [("report", None, None), ("approve", "赵网格员", None), ("move", None, "转至锦绣花园")],
    )
    chu = _report(
        session,
        ctx,
        "褚老师",
        "锦绣花园",
        "实验小学",
        year=year,
        status="approved",
        at=early + timedelta(days=3),
        reviewer="孙站长",
        previous=chu_old,
    )
    await _steps(
        session,
        chu,
        ctx,
        "褚老师",
        early + timedelta(days=3),
        [("report", None, "搬家到锦绣花园"), ("approve", "孙站长", None)],
    )
    liu = _report(
        session,
        ctx,
        "刘院长",
        "和平新村",
        "县人民医院",
        year=year,
        status="pending",
        at=now - timedelta(days=2),
    )
    await _steps(session, liu, ctx, "刘院长", now - timedelta(days=2), [("report", None, "可提供义诊")])
    shen = _report(
        session,
        ctx,
        "沈骑手",
        "东城家园",
        "阳光社工服务中心",
        year=year,
        status="pending",
        at=now - timedelta(days=1),
    )
    await _steps(session, shen, ctx, "沈骑手", now - timedelta(days=1), [("report", None, None)])
    chen = _report(
        session,
        ctx,
        "陈局长",
        "东城家园",
        "县自然资源局",
        year=year,
        status="rejected",
        at=now - timedelta(days=5),
        reviewer="王书记",
        reason="请选择实际居住的小区",
    )
    await _steps(
        session,
        chen,
        ctx,
        "陈局长",
        now - timedelta(days=5),
        [("report", None, None), ("reject", "王书记", "请选择实际居住的小区")],
    )

    # Last year: both approved and rated; the employers see these forms.
    last = year - 1
    last_at = datetime(last, 3, 1, tzinfo=CHINA)
    for who, branch, unit, rating, comment, rater in (
        (
            "冯医生",
            "幸福里小区",
            "县人民医院",
            "excellent",
            "全年义诊 12 次，积极参加文明劝导，群众评价高。",
            "李主任",
        ),
        ("褚老师", "幸福里小区", "实验小学", "qualified", "按时参加社区活动，辅导社区儿童功课。", "李主任"),
    ):
        old = _report(
            session, ctx, who, branch, unit, year=last, status="approved", at=last_at, reviewer=rater
        )
        await _steps(session, old, ctx, who, last_at, [("report", None, None), ("approve", rater, None)])
        session.add(
            MemberFeedback(
                user_id=ctx.people[who].id,
                year=last,
                period=str(last),
                report_id=old.id,
                org_id=ctx.orgs[branch].id,
                employer_unit_id=ctx.orgs[unit].id,
                rating=rating,
                comment=comment,
                rater_id=ctx.people[rater].id,
                rated_at=datetime(last, 12, 20, tzinfo=CHINA),
            )
        )

    # Posts (设岗定责) with claims and work logs.
    posts = {}
    for org, title, duty, slots in (
        ("幸福里小区", "文明劝导员", "劝导乱停车、乱扔垃圾、高空抛物", 3),
        ("幸福里小区", "治安巡防员", "每周两晚小区巡逻", 2),
        ("幸福里小区", "政策宣传员", "宣讲惠民政策、防诈骗知识", 2),
        ("锦绣花园", "扶弱帮困员", "结对帮扶困难家庭和独居老人", 2),
        ("幸福社区", "纠纷调解员", "调解邻里矛盾", 2),
    ):
        posts[title] = Post(
            org_id=ctx.orgs[org].id,
            title=title,
            duty=duty,
            slots=slots,
            created_by_id=ctx.people["李主任"].id,
            created_at=early,
        )
        session.add(posts[title])
    await session.flush()
    for who, title, report, logs in (
        ("冯医生", "文明劝导员", feng, [(20, 90, "劝导乱停车 8 起"), (6, 60, "清理楼道小广告")]),
        ("冯医生", "纠纷调解员", feng, [(12, 120, "调解 3 号楼漏水纠纷")]),
        ("褚老师", "扶弱帮困员", chu, [(10, 120, "为吴奶奶家孩子辅导功课")]),
    ):
        post = posts[title]
        claim = PostClaim(
            post_id=cast(int, post.id),
            user_id=ctx.people[who].id,
            report_id=report.id,
            claimed_at=early + timedelta(days=5),
        )
        post.claimed += 1
        session.add_all([claim, post])
        await session.flush()
        for days_ago, minutes, note in logs:
            done_on = max((now - timedelta(days=days_ago)).astimezone(CHINA).date(), date(year, 1, 1))
            session.add(
                PostLog(
                    post_id=cast(int, post.id),
                    claim_id=cast(int, claim.id),
                    user_id=ctx.people[who].id,
                    done_on=done_on,
                    minutes=minutes,
                    note=note,
                )
            )

    # Co-building: the county hospital and 幸福社区.
    session.add(
        CoBuildingAgreement(
            unit_id=ctx.orgs["县人民医院"].id,
            community_id=ctx.orgs["幸福社区"].id,
            signed_on=date(last, 3, 1),
            term_months=36,
            commitments=["每月到社区义诊一次", "结对帮扶困难户 5 户", "开放职工食堂为环卫工人提供热饭"],
            created_by_id=ctx.people["李主任"].id,
        )
    )
    session.add(
        CoBuildingAssessment(
            unit_id=ctx.orgs["县人民医院"].id,
            community_id=ctx.orgs["幸福社区"].id,
            year=last,
            score=92,
            reasons="义诊按月开展，帮扶到位；食堂开放时间可再延长。",
            rater_id=ctx.people["李主任"].id,
        )
    )
    await _seed_events(session, ctx, now)
    await session.flush()


# reporter, place, category, description, final state, handler, extras
EVENTS: list[tuple[str, str, str, str, str, str | None, dict[str, Any]]] = [
    (
        "张阿姨",
        "幸福里第一网格",
        "环境卫生",
        "3 号楼楼道堆满纸箱杂物，有消防隐患。",
        "closed",
        "幸福社区",
        {"satisfied": True, "comment": "第二天就清理干净了，谢谢网格员。", "failed_check": "楼道仍有纸箱"},
    ),
    (
        "钱大爷",
        "幸福里第一网格",
        "设施维修",
        "小区东门路灯不亮，晚上出入不安全。",
        "checked",
        "国网供电公司",
        {"for": "赵网格员"},
    ),
    (
        "吴奶奶",
        "锦绣花园网格",
        "邻里纠纷",
        "楼上装修每天早上七点就开始电钻，影响休息。",
        "handled",
        "锦绣花园",
        {},
    ),
    (
        "张阿姨",
        "幸福里小区",
        "安全隐患",
        "小区门口井盖松动，有老人差点绊倒。",
        "dispatched",
        "国网供电公司",
        {"overdue": True},
    ),
    (
        "郑同学",
        "和平新村网格",
        "市容秩序",
        "和平新村门口占道经营，早高峰堵车。",
        "dispatched",
        "和平社区",
        {},
    ),
    ("钱大爷", "幸福里小区", "意见箱", "建议在小区广场增设几张长椅，方便老人休息。", "reported", None, {}),
    (
        "沈骑手",
        "东城家园",
        "民生诉求",
        "希望驿站延长开放时间到晚上十点，方便夜班骑手。",
        "reported",
        None,
        {},
    ),
]
HANDLER_PEOPLE = {"幸福社区": "李主任", "国网供电公司": "王书记", "锦绣花园": "孙站长", "和平社区": "周主任"}
STAFF_OF = {
    "幸福里第一网格": "赵网格员",
    "幸福里小区": "赵网格员",
    "锦绣花园网格": "孙站长",
    "和平新村网格": "周主任",
    "东城家园": "王书记",
}


async def _seed_events(session: AsyncSession, ctx, now: datetime) -> None:
    order = ["reported", "dispatched", "handled", "checked", "closed"]
    for i, (reporter, place, category, text, state, handler, extra) in enumerate(EVENTS):
        t = now - timedelta(days=2 if state == "checked" else 10 - i)  # a checked one still awaits feedback
        acted_by = ctx.people[extra["for"]] if "for" in extra else None
        staff = ctx.people[STAFF_OF[place]]
        event = GridEvent(
            org_id=ctx.orgs[place].id,
            category=category,
            description=text,
            reporter_id=ctx.people[reporter].id,
            acted_by_id=acted_by.id if acted_by else None,
            status=state,
            created_at=t,
            updated_at=t,
        )
        session.add(event)
        await session.flush()
        steps: list[tuple[datetime, int | None, str, str | None, str, str | None]] = [
            (
                t,
                (acted_by or ctx.people[reporter]).id,
                "report",
                None,
                "reported",
                f"由{acted_by.name}代为上报" if acted_by else None,
            )
        ]
        reached = order.index(state)
        if reached >= 1:
            hd = ctx.orgs[handler]
            event.handler_org_id, event.dispatched_at = hd.id, t + timedelta(hours=2)
            event.due_at = t + timedelta(days=1 if extra.get("overdue") else 14)
            steps.append(
                (event.dispatched_at, staff.id, "dispatch", "reported", "dispatched", f"分派至{hd.name}")
            )
            if extra.get("overdue"):
                event.overdue, event.escalation_level = True, 1
                event.escalated_org_id, event.escalated_at = ctx.orgs[place].parent_id, event.due_at
                steps.append((event.due_at, None, "overdue", "dispatched", "dispatched", "超过处置期限"))
                steps.append((event.due_at, None, "escalate", "dispatched", "dispatched", "上报至上级"))
        handler_person = ctx.people[HANDLER_PEOPLE[handler]].id if handler else None
        if reached >= 2:
            at = t + timedelta(hours=20)
            if extra.get("failed_check"):
                steps.append(
                    (
                        at - timedelta(hours=12),
                        handler_person,
                        "handle",
                        "dispatched",
                        "handled",
                        "已清理一部分",
                    )
                )
                steps.append(
                    (
                        at - timedelta(hours=10),
                        staff.id,
                        "check_failed",
                        "handled",
                        "dispatched",
                        extra["failed_check"],
                    )
                )
            event.handled_at, event.handle_note, event.handled_on_time = at, "已安排人员处理完毕。", True
            steps.append((at, handler_person, "handle", "dispatched", "handled", event.handle_note))
        if reached >= 3:
            event.checked_at, event.check_note = t + timedelta(days=1), "现场查看，已处理到位。"
            steps.append((event.checked_at, staff.id, "check", "handled", "checked", event.check_note))
        if reached >= 4:
            event.closed_at, event.satisfied = t + timedelta(days=2), extra["satisfied"]
            event.feedback_comment = extra["comment"]
            steps.append(
                (event.closed_at, event.reporter_id, "feedback", "checked", "closed", extra["comment"])
            )
        session.add(event)
        for at, actor, action, src, dst, note in steps:
            session.add(
                GridEventStep(
                    event_id=cast(int, event.id),
                    at=at,
                    actor_id=actor,
                    action=action,
                    from_status=src,
                    to_status=dst,
                    note=note,
                )
            )
