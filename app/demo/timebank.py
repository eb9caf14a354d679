"""Demo time bank: believable balances through real posted transactions, a policy, a rewards shelf."""

from datetime import timedelta
from typing import cast

from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.demo.history import clock_at
from app.models.activities import Activity, ActivitySignup, Attendance, SignupStatus
from app.models.timebank import RedeemIn, Reward, TimebankPolicy, TransferIn
from app.services import activity_attendance as attendance_service
from app.services import timebank as timebank_service
from app.services import timebank_rewards as rewards_service

# (person, org where the service happened, minutes, memo) — each a past volunteer activity, credited
# through the crediting rule's posting by that community's issuing account.
SERVICE = [
    ("冯医生", "幸福里小区", 120, "社区义诊：测血压、讲用药"),
    ("冯医生", "幸福里小区", 90, "上门为钱大爷换药"),
    ("冯医生", "锦绣花园", 180, "健康讲座：老年人防跌倒"),
    ("褚老师", "锦绣花园", 120, "四点半课堂辅导作业"),
    ("褚老师", "锦绣花园", 60, "春联书写义卖"),
    ("卫师傅", "和平新村", 150, "为独居老人检修电路"),
    ("卫师傅", "和平新村", 60, "更换楼道灯泡"),
    ("蒋志愿者", "幸福里小区", 90, "陪张阿姨去医院复诊"),
    ("蒋志愿者", "幸福里小区", 60, "帮吴奶奶代买药品"),
    ("蒋志愿者", "幸福里第一网格", 120, "网格巡查与垃圾分类劝导"),
    ("郑同学", "和平新村", 90, "暑期小课堂"),
    ("赵网格员", "幸福里第一网格", 30, "反诈宣传入户"),
]
REWARDS = [
    ("幸福里小区", "大米 5 斤", "爱心企业捐赠", 120, 20),
    ("幸福里小区", "食用油 1 桶", "", 180, 8),
    ("锦绣花园", "爱心理发一次", "孙站长每周三上午", 60, 30),
    ("锦绣花园", "鸡蛋一盒", "", 60, 15),
    ("和平新村", "家电清洗一次", "县供电公司志愿队提供", 240, 5),
]


async def _past_service(session: AsyncSession, ctx) -> None:
    """The year's earlier service: each a volunteer activity attended, signed out, closed and credited
    on its own day (spread over the past twelve months), so every credit has its record."""
    day = clock.now().replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 China time
    for i, (name, org_name, minutes, memo) in enumerate(SERVICE):
        start = day - timedelta(days=20 + 28 * i)
        end = start + timedelta(minutes=minutes)
        activity = Activity(
            org_id=ctx.orgs[org_name].id,
            title=memo,
            kind="志愿服务",
            starts_at=start,
            ends_at=end,
            capacity=10,
            signed_up=1,
            credit_minutes=minutes,
            created_by_id=ctx.people["李主任"].id,
            created_at=start - timedelta(days=5),
        )
        session.add(activity)
        await session.flush()
        person = ctx.people[name]
        session.add(
            ActivitySignup(
                activity_id=cast(int, activity.id), user_id=person.id, status=SignupStatus.signed_up
            )
        )
        session.add(
            Attendance(
                activity_id=cast(int, activity.id),
                user_id=person.id,
                method="code",
                signed_in_at=start,
                signed_out_at=end,
            )
        )
        await session.flush()
        with clock_at(end):  # the organiser closes it as it ends: the crediting rule credits the stay
            await attendance_service.settle(session, activity=activity, actor_id=ctx.people["李主任"].id)


async def seed(session: AsyncSession, ctx) -> None:
    """Post the demo service credits, one family donation and one redemption; set the alliance policy."""
    session.add(
        TimebankPolicy(
            alliance_id=ctx.alliance.id,
            storage_cap_minutes=1500 * 60,
            redeem_min_age=None,
            family_transfer_allowed=True,
            family_transfer_daily_cap_minutes=600,
            rounding_unit_minutes=30,
        )
    )
    await _past_service(session, ctx)
    rewards = {}
    for org_name, name, description, price, stock in REWARDS:
        reward = Reward(
            org_id=ctx.orgs[org_name].id,
            name=name,
            description=description,
            price_minutes=price,
            stock=stock,
            created_by=ctx.people["孙站长"].id,
        )
        session.add(reward)
        rewards[name] = reward
    await session.flush()

    # Yesterday, after the year's service: 卫师傅 gives his family an hour, 蒋志愿者 takes a box of eggs.
    # Each goes through the use case's own core (policy, daily cap, storage cap, stock, locks, voucher).
    yesterday = clock.now().replace(hour=2, minute=0, second=0, microsecond=0) - timedelta(days=1)
    with clock_at(yesterday):  # 10:00 China time
        await timebank_service.give(
            session,
            data=TransferIn(to_phone=ctx.people["吴奶奶"].phone, minutes=60, memo="转赠给吴奶奶"),
            actor=ctx.people["卫师傅"],
        )
    with clock_at(yesterday + timedelta(hours=5)):  # 15:00
        await rewards_service.exchange(
            session,
            reward_id=cast(int, rewards["鸡蛋一盒"].id),
            data=RedeemIn(),
            actor=ctx.people["蒋志愿者"],
        )
