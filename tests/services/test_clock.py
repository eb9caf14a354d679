"""One China-time source: midnight in China as a UTC instant, and the China day in SQL on both databases."""

from datetime import UTC, date, datetime, timedelta

from app import clock
from app.models.stations import Checkin, CheckinKind, Station
from app.services import stations as stations_service
from tests.factories import make_tree, make_user


def test_china_midnight_is_sixteen_hundred_utc_the_day_before():
    assert clock.china_midnight(date(2026, 12, 2)) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    midnight = clock.china_midnight()
    assert midnight <= clock.now() < midnight + timedelta(days=1)
    assert midnight.astimezone(clock.CHINA).time().isoformat() == "00:00:00"
    clock.travel(timedelta(days=3))
    assert clock.china_midnight() == midnight + timedelta(days=3)


async def test_visits_per_day_split_at_china_midnight(session):
    tree = await make_tree(session)
    station = Station(org_id=tree.compound.id, name="幸福里红色驿站", lat=30.0, lng=120.0)
    session.add(station)
    await session.flush()
    visitor = await make_user(session)
    edge = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 2026-12-01 00:00 in China
    for i, at in enumerate((edge - timedelta(seconds=1), edge, edge + timedelta(hours=7, minutes=59))):
        session.add(
            Checkin(
                user_id=visitor.id, code_key=f"k{i}", kind=CheckinKind.visit, station_id=station.id, at=at
            )
        )
    await session.flush()
    days = await stations_service.visits_per_day(
        session, station_id=station.id, start=edge - timedelta(days=1), end=edge + timedelta(days=1)
    )
    assert [(d.day, d.visits) for d in days] == [("2026-11-30", 1), ("2026-12-01", 2)]
