"""Demo wishes in every state, claimed by the demo volunteers, some verified and credited; units' resources."""

from datetime import timedelta
from typing import Any, cast

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.demo.history import clock_at
from app.models.resources import UnitResource
from app.models.wishes import Wish, WishClaim, WishEvent
from app.services import crypto, wish_machine
from app.services import notifications as notify_service
from app.services import wishes as wishes_service

STAFF_OF = {
    "幸福里小区": "赵网格员",
    "锦绣花园": "孙站长",
    "和平新村": "周主任",
    "滨河苑": "周主任",
    "东城家园": "王书记",
}

# poster, compound, title, description, category, final state, claimer, extras
WISHES: list[tuple[str, str, str, str, str, str, str | None, dict[str, Any]]] = [
    (
        "张阿姨",
        "幸福里小区",
        "厨房水龙头一直滴水",
        "家里厨房的水龙头关不紧，老伴腿脚不便，想请懂水电的师傅帮忙看看。",
        "生活服务",
        "verified",
        "卫师傅",
        {"minutes": 60, "rating": 5, "comment": "卫师傅手艺好，还帮我把阀门也换了，谢谢！"},
    ),
    (
        "钱大爷",
        "幸福里小区",
        "陪我去医院复查",
        "下周二要去县人民医院复查血压，子女在外地，想找人陪同挂号取药。",
        "医疗健康",
        "verified",
        "蒋志愿者",
        {"minutes": 180, "rating": 5, "comment": "小蒋很耐心，全程陪着，挂号取药都帮我办好了。"},
    ),
    (
        "吴奶奶",
        "锦绣花园",
        "给孙子买一个新书包",
        "孙子上三年级，书包背带断了，家里困难，希望好心人帮忙。",
        "助学",
        "verified",
        "褚老师",
        {"minutes": 90, "rating": 4, "comment": "书包很结实，孩子很喜欢。", "child": ("王小明", "实验小学")},
    ),
    (
        "张阿姨",
        "幸福里小区",
        "教我用智能手机挂号",
        "想学会用手机预约挂号和视频通话，方便联系孩子。",
        "助老",
        "confirmed",
        "郑同学",
        {"minutes": 60, "rating": 5, "comment": "教得很细心，我已经会视频了。"},
    ),
    (
        "钱大爷",
        "幸福里小区",
        "楼道灯坏了需要更换",
        "3号楼2单元三楼楼道灯不亮，晚上上下楼不安全。",
        "生活服务",
        "done",
        "卫师傅",
        {"minutes": 30},
    ),
    (
        "吴奶奶",
        "锦绣花园",
        "帮忙代买降压药",
        "常吃的降压药快吃完了，想请人帮忙到药店代买。",
        "助老",
        "claimed",
        "蒋志愿者",
        {},
    ),
    (
        "郑同学",
        "和平新村",
        "咨询租房合同纠纷",
        "房东不退押金，想请懂法律的同志帮忙看看合同。",
        "法律咨询",
        "claimed",
        "刘院长",
        {"dispatch": "县人民医院"},
    ),
    (
        "钱大爷",
        "幸福里小区",
        "周末理发",
        "行动不方便，想请会理发的志愿者上门理个发。",
        "生活服务",
        "published",
        None,
        {},
    ),
    (
        "吴奶奶",
        "锦绣花园",
        "想要几本大字版的书",
        "眼睛不好，想看看大字版的小说或养生书。",
        "物资",
        "published",
        None,
        {},
    ),
    (
        "卫师傅",
        "和平新村",
        "小区健身器材松动",
        "小区广场的健身器材螺丝松了，想找人一起修一修。",
        "其他",
        "published",
        None,
        {"dispatch": "国网供电公司"},
    ),
    (
        "张阿姨",
        "幸福里小区",
        "想参加书法兴趣班",
        "退休在家，想找老师教教毛笔字。",
        "助老",
        "submitted",
        None,
        {},
    ),
    (
        "沈骑手",
        "东城家园",
        "电动车充电的地方",
        "送外卖的电动车没地方充电，想问问驿站能不能充电。",
        "生活服务",
        "submitted",
        None,
        {},
    ),
    (
        "钱大爷",
        "幸福里小区",
        "帮忙办理高额借贷",
        "想找人帮忙办理贷款。",
        "其他",
        "rejected",
        None,
        {"reason": "心愿内容不属于志愿服务范围，已电话联系说明"},
    ),
    ("吴奶奶", "锦绣花园", "春节写春联", "想请人帮忙写一副春联。", "其他", "cancelled", None, {}),
    (
        "张阿姨",
        "幸福里小区",
        "中秋节一起做月饼",
        "想和邻居们一起做月饼，需要有人组织。",
        "其他",
        "expired",
        None,
        {},
    ),
]

RESOURCES = [
    (
        "县人民医院",
        "每月义诊进社区",
        "内科、眼科医生每月第一个周六到社区免费义诊、量血压。",
        "医疗健康",
        "刘院长",
        "13900000006",
    ),
    ("县人民医院", "健康讲座", "慢病防治、急救知识讲座，可预约到小区。", "医疗健康", "刘院长", "13900000006"),
    (
        "县自然资源局",
        "法律政策咨询",
        "土地、房屋产权政策咨询，党员干部每周三到社区坐班。",
        "法律咨询",
        "陈局长",
        "13900000005",
    ),
    ("实验小学", "四点半课堂", "放学后作业辅导，教师志愿者轮流值守。", "助学", "", None),
    ("国网供电公司", "上门检修线路", "老旧小区用电安全检查、线路检修。", "生活服务", "", None),
    ("阳光社工服务中心", "独居老人探访", "社工每周探访独居老人，陪伴聊天、代购生活用品。", "助老", "", None),
]


async def seed(session: AsyncSession, ctx) -> None:
    """Load the demo wishes (every state) and the units' service resources."""
    people, orgs = ctx.people, ctx.orgs
    for unit, title, description, category, contact, phone in RESOURCES:
        session.add(
            UnitResource(
                unit_id=orgs[unit].id,
                title=title,
                description=description,
                category=category,
                contact_name=contact,
                contact_phone=phone,
            )
        )
    now = clock.now()
    for i, (poster_name, compound, title, description, category, final, claimer_name, extra) in enumerate(
        WISHES
    ):
        poster, org = people[poster_name], orgs[compound]
        staff = people[STAFF_OF[compound]]
        claimer = people[claimer_name] if claimer_name else None
        child = extra.get("child")
        created = now - timedelta(days=len(WISHES) - i, hours=3)
        wish = Wish(
            org_id=org.id,
            poster_id=poster.id,
            title=title,
            description=description,
            category=category,
            created_at=created,
            updated_at=created,
            deadline=now + timedelta(days=14) if final != "expired" else now - timedelta(days=1),
            child_name_enc=crypto.encrypt(child[0]) if child else None,
            child_school_enc=crypto.encrypt(child[1]) if child else None,
        )
        session.add(wish)
        await session.flush()
        session.add(
            WishEvent(
                wish_id=cast(int, wish.id),
                at=created,
                actor_id=poster.id,
                action="submit",
                to_status="submitted",
            )
        )
        await session.flush()

        async def step(action, actor, note=None, wish=wish, **values):
            await wish_machine.transition(
                session, wish, action, actor_id=actor.id if actor else None, note=note, values=values
            )

        if final == "submitted":
            continue
        if final == "rejected":
            await step("reject", staff, extra["reason"], reject_reason=extra["reason"], reviewer_id=staff.id)
            continue
        if final == "expired":
            await step("expire", None, "超过截止时间无人认领")
            continue
        values = {"reviewer_id": staff.id, "published_at": created + timedelta(hours=2)}
        note = None
        if "dispatch" in extra:
            values["assigned_org_id"] = orgs[extra["dispatch"]].id
            note = f"派单给{extra['dispatch']}"
        await step("publish", staff, note, **values)
        await notify_service.notify(
            session,
            user_id=poster.id,
            kind="wish_published",
            title="心愿已发布",
            body=f"“{title}”已通过审核，发布到心愿墙",
            link=f"/wishes/{wish.id}",
            ref_type="wish",
            ref_id=wish.id,
        )
        if final == "cancelled":
            await step("cancel", poster)
            continue
        if claimer is None:
            continue
        promise = clock.today() + timedelta(days=5)
        with clock_at(created + timedelta(hours=5)):  # the claim row, the wish and its event agree
            await wishes_service.take(session, wish, claimer_id=claimer.id, promise=promise)
        if final == "claimed":
            continue
        minutes = extra["minutes"]
        # A wish left at "done" finished yesterday, so the 7-day auto-confirm has not yet come for it.
        done_at = now - timedelta(days=1) if final == "done" else created + timedelta(days=1)
        with clock_at(done_at):
            await wishes_service.finish(
                session, wish, claimer_id=claimer.id, note=f"已完成：{title}", minutes=minutes
            )
        if final == "done":
            continue
        await step(
            "confirm",
            poster,
            extra["comment"],
            confirmed_at=created + timedelta(days=1, hours=3),
            rating=extra["rating"],
            comment=extra["comment"],
        )
        if final == "confirmed":
            continue
        with clock_at(created + timedelta(days=2)):  # verified, credited and on the statement that day
            await wishes_service.credit_verified(
                session, wish, verifier_id=staff.id, minutes=minutes, note="电话回访，群众满意"
            )
    await session.flush()
    await _spread_history(session)


async def _spread_history(session: AsyncSession) -> None:
    """Give each demo wish's steps the times its own record holds (the machine stamps them 'now'):
    a step with a timestamp column takes it, the others fall a few hours after the one before."""
    own = {
        "publish": "published_at",
        "done": "done_at",
        "confirm": "confirmed_at",
        "auto_confirm": "confirmed_at",
        "verify": "verified_at",
        "cancel": "closed_at",
        "expire": "closed_at",
    }
    wishes = (await session.exec(select(Wish))).all()
    for wish in wishes:
        events = (
            await session.exec(
                select(WishEvent).where(col(WishEvent.wish_id) == wish.id).order_by(col(WishEvent.id))
            )
        ).all()
        claims = (
            await session.exec(
                select(WishClaim).where(col(WishClaim.wish_id) == wish.id).order_by(col(WishClaim.id))
            )
        ).all()
        at = wish.created_at
        for event in events:
            stamp = getattr(wish, own.get(event.action, ""), None)
            if event.action == "claim" and claims:
                stamp = claims[0].claimed_at
            at = stamp if stamp is not None and stamp >= at else at + timedelta(hours=1)
            event.at = at
            session.add(event)
        # The milestones follow the steps they mark (the machine stamped them at seeding time).
        published = [e.at for e in events if e.action == "publish"]
        wish.first_published_at = published[0] if published else None
        wish.first_claimed_at = claims[0].claimed_at if claims else None
        session.add(wish)
    await session.flush()
