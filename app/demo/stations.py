"""Demo red stations, duty shifts, activities and check-ins: a believable week in the county."""

from datetime import datetime, timedelta
from typing import cast

from app import clock
from app.demo.history import clock_at
from app.models.activities import Activity, ActivitySignup, Attendance, SignupStatus
from app.models.stations import Checkin, CheckinKind, DutyShift, ShiftSignup, Station, StationDeputy
from app.services import activity_attendance as attendance_service
from app.services import shifts as shifts_service

# name, org, address, (lat, lng) in GCJ-02, hours, services, master, deputies, card allowed
STATIONS = [
    (
        "幸福里红色驿站",
        "幸福里小区",
        "幸福路18号小区北门",
        (34.2867, 119.2391),
        "每天 8:00-20:00",
        ["休息", "饮水", "充电", "热饭", "雨具"],
        "赵网格员",
        ["蒋志愿者"],
        False,
    ),
    (
        "锦绣花园红色口袋驿站",
        "锦绣花园",
        "锦绣路6号物业楼一层",
        (34.2921, 119.2458),
        "每天 7:30-21:00",
        ["休息", "饮水", "充电", "理发", "维修", "图书"],
        "孙站长",
        ["褚老师"],
        True,
    ),
    (
        "和平新村骑手驿站",
        "和平新村",
        "和平大道与新村路交叉口",
        (34.2789, 119.2302),
        "全天开放",
        ["休息", "饮水", "充电", "如厕", "急救"],
        "卫师傅",
        [],
        False,
    ),
    (
        "东城家园调解驿站",
        "东城家园",
        "东城路99号社区服务中心",
        (34.2998, 119.2611),
        "工作日 9:00-17:00",
        ["调解", "休息", "饮水", "图书"],
        "陈局长",
        [],
        False,
    ),
]

# title, kind, org, days from now, hours, place, capacity, minutes, attendees (past ones)
ACTIVITIES = [
    ("重温入党誓词主题党日", "主题党日", "幸福社区", 3, 2, "幸福社区党群服务中心三楼", 40, 120, None),
    ("“银龄课堂”智能手机使用培训", "志愿服务", "锦绣花园", 5, 2, "锦绣花园红色口袋驿站", 20, 90, None),
    ("民法典进社区政策宣讲", "政策宣讲", "和平社区", 8, 1, "和平社区会议室", 60, 60, None),
    ("小区停车难红色议事会", "议事会", "幸福里小区", 1, 1, "幸福里红色驿站", 15, 60, None),
    (
        "党课：学习贯彻党的二十大精神",
        "党课",
        "幸福社区",
        -6,
        2,
        "幸福社区党群服务中心",
        30,
        120,
        ["冯医生", "褚老师", "蒋志愿者", "王书记", "孙站长"],
    ),
    (
        "滨河环境整治志愿服务",
        "志愿服务",
        "和平社区",
        -3,
        3,
        "滨河苑南门集合",
        12,
        180,
        ["郑同学", "卫师傅", "蒋志愿者", "刘院长"],
    ),
]
NO_SHOWS = {"党课：学习贯彻党的二十大精神": ["钱大爷"], "滨河环境整治志愿服务": ["张阿姨"]}


async def seed(session, ctx) -> None:
    """Stations with services, hours, masters and deputies; shifts served and to come; activities; visits."""
    now = clock.now()
    people = ctx.people
    stations = []
    for name, org, address, (lat, lng), open_hours, services, master, deputies, card in STATIONS:
        station = Station(
            org_id=ctx.orgs[org].id,
            name=name,
            address=address,
            lat=lat,
            lng=lng,
            open_hours=open_hours,
            services=services,
            master_id=people[master].id,
            card_enabled=card,
            created_by_id=people["王书记"].id,
            created_at=now - timedelta(days=30),
        )
        session.add(station)
        await session.flush()
        for deputy in deputies:
            session.add(StationDeputy(station_id=cast(int, station.id), user_id=people[deputy].id))
        stations.append(station)

    # A served shift last week (credited), one running today, and two to sign up for.
    day = now.replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 China time
    served = DutyShift(
        station_id=cast(int, stations[1].id),
        starts_at=day - timedelta(days=2),
        ends_at=day - timedelta(days=2, hours=-3),
        capacity=2,
        signed_up=2,
        closed_at=day - timedelta(days=2, hours=-4),
    )
    session.add(served)
    await session.flush()
    # They scanned in and the shift's close ended their duty: the real start/end, so the crediting rule
    # (bounded by the shift, rounded by the alliance's unit) decides the minutes, as it would for them.
    for who, minutes in (("孙站长", 180), ("褚老师", 150)):
        start = served.starts_at + timedelta(minutes=180 - minutes)
        signup = ShiftSignup(shift_id=cast(int, served.id), user_id=people[who].id)
        session.add(signup)
        session.add(
            Checkin(
                user_id=people[who].id,
                code_key=f"demo:duty:{served.id}:{who}",
                kind=CheckinKind.duty_start,
                station_id=stations[1].id,
                shift_id=served.id,
                at=start,
            )
        )
        await session.flush()
        await shifts_service.start_duty(session, signup=signup, at=start)
        await session.refresh(signup)
        with clock_at(cast(datetime, served.closed_at)):
            await shifts_service.end_duty(
                session, signup=signup, shift=served, station=stations[1], at=served.ends_at, actor_id=None
            )
    for offset, station, names in (
        (1, stations[0], ["冯医生"]),
        (2, stations[2], []),
        (3, stations[1], ["褚老师"]),
    ):
        shift = DutyShift(
            station_id=cast(int, station.id),
            starts_at=day + timedelta(days=offset),
            ends_at=day + timedelta(days=offset, hours=4),
            capacity=3,
            signed_up=len(names),
        )
        session.add(shift)
        await session.flush()
        for name in names:
            session.add(ShiftSignup(shift_id=cast(int, shift.id), user_id=people[name].id))

    # Visits over the last week: riders and residents stopping by.
    visitors = ["沈骑手", "张阿姨", "钱大爷", "吴奶奶", "郑同学", "蒋志愿者"]
    for back in range(7):
        for i, station in enumerate(stations):
            for j, who in enumerate(visitors[: 2 + (back + i) % 4]):
                at = now - timedelta(days=back, hours=2 + j, minutes=7 * i)
                session.add(
                    Checkin(
                        user_id=people[who].id,
                        code_key=f"demo:visit:{station.id}:{back}:{j}",
                        kind=CheckinKind.visit,
                        station_id=station.id,
                        at=at,
                    )
                )

    for title, kind, org, days, hours, place, capacity, minutes, came in ACTIVITIES:
        start = day + timedelta(days=days, hours=6)  # 15:00 China time
        past = came is not None
        organiser = people["李主任"]
        activity = Activity(
            org_id=ctx.orgs[org].id,
            title=title,
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            location=place,
            capacity=capacity,
            credit_minutes=minutes,
            created_by_id=organiser.id,
        )
        session.add(activity)
        await session.flush()
        signed = (
            (came or []) + NO_SHOWS.get(title, [])
            if past
            else ["张阿姨", "吴奶奶", "蒋志愿者"][: 1 + days % 3]
        )
        activity.signed_up = len(signed)
        for name in signed:
            session.add(
                ActivitySignup(
                    activity_id=cast(int, activity.id), user_id=people[name].id, status=SignupStatus.signed_up
                )
            )
        for name in came or []:
            session.add(
                Attendance(
                    activity_id=cast(int, activity.id),
                    user_id=people[name].id,
                    method="code",
                    signed_in_at=start - timedelta(minutes=10),
                )
            )
            session.add(
                Checkin(
                    user_id=people[name].id,
                    code_key=f"a:{activity.id}",
                    kind=CheckinKind.activity,
                    activity_id=activity.id,
                    at=start - timedelta(minutes=10),
                )
            )
        session.add(activity)
        await session.flush()
        if past:
            # The organiser closed it when it ended: the crediting rule credits who came (service kinds
            # their stay, study and meetings attendance only) and the rest are marked absent.
            with clock_at(activity.ends_at):
                await attendance_service.settle(session, activity=activity, actor_id=organiser.id)
    await session.flush()
