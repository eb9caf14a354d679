"""Demo time bank: believable balances through real posted transactions, a policy, a rewards shelf."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.timebank import AccountKind, Redemption, Reward, TimebankPolicy, TxnKind
from app.services import ledger

# (person, org where the service happened, minutes, memo) — issued by that community's account.
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
    for i, (name, org_name, minutes, memo) in enumerate(SERVICE, start=1):
        # ref_type "demo": never collides with the wishes/activities the other seeders credit.
        await ledger.credit_service(
            session,
            org_id=ctx.orgs[org_name].id,
            user_id=ctx.people[name].id,
            minutes=minutes,
            ref_type="demo",
            ref_id=i,
            memo=memo,
            actor_id=None,
        )
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

    giver = await ledger.person_account(session, user_id=ctx.people["卫师傅"].id)
    granny = await ledger.person_account(session, user_id=ctx.people["吴奶奶"].id)
    await ledger.post(
        session,
        kind=TxnKind.transfer,
        legs=[(giver, -60), (granny, 60)],
        memo="转赠给吴奶奶",
        actor_id=ctx.people["卫师傅"].id,
    )

    buyer = ctx.people["蒋志愿者"]
    reward = rewards["鸡蛋一盒"]
    reward.stock -= 1
    account = await ledger.person_account(session, user_id=buyer.id)
    shelf = await ledger.system_account(session, kind=AccountKind.shelf, org_id=reward.org_id)
    txn = await ledger.post(
        session,
        kind=TxnKind.redeem,
        legs=[(account, -reward.price_minutes), (shelf, reward.price_minutes)],
        memo=f"兑换：{reward.name}",
        actor_id=buyer.id,
        org_id=reward.org_id,
    )
    session.add(
        Redemption(
            reward_id=reward.id,
            user_id=buyer.id,
            actor_id=buyer.id,
            txn_id=txn.id,
            minutes=reward.price_minutes,
        )
    )
    await session.flush()
