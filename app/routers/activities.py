"""Activities: publishing, sign-up with a waiting list, sign-in by code, ticket or phone, closing.

Waiting list: `POST /activities/{id}/signup?wait=true` joins the waiting list when full (instead of
409 `activity_full`); a cancellation hands the place to the first waiter.
"""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.activities import (
    ActivityClosed,
    ActivityCreate,
    ActivityPublic,
    ActivityStats,
    AttendanceIn,
    AttendancePublic,
    RosterRow,
    SignoutIn,
    SignupPublic,
    TicketIn,
    TicketPublic,
)
from app.models.base import Id
from app.models.stations import QrToken
from app.pagination import Page, PageDep
from app.routers.svg import SVG_RESPONSES, qr_svg
from app.services import activities as activities_service
from app.services import activity_attendance, activity_signups
from app.xlsx import XLSX, xlsx_response

router = APIRouter(prefix="/activities", tags=["activities"])


@router.post("", response_model=ActivityPublic, status_code=201)
async def create_activity(body: ActivityCreate, session: SessionDep, user: CurrentUser):
    """Publish an activity under an org node you are staff or admin over."""
    return await activities_service.create_activity(session, data=body, actor=user)


@router.get("", response_model=Page[ActivityPublic])
async def list_activities(
    session: SessionDep, user: CurrentUser, page: PageDep, org_id: Id | None = None, upcoming: bool = False
):
    """Activities in org_id's subtree; `upcoming=true` keeps those not yet ended (oldest first)."""
    items, cursor = await activities_service.list_activities(
        session, org_id=org_id, upcoming=upcoming, params=page, viewer=user
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/{activity_id}", response_model=ActivityPublic)
async def get_activity(activity_id: Id, session: SessionDep, user: CurrentUser):
    """One activity with `signed_up`, `capacity` and your own sign-up."""
    return await activities_service.activity_detail(session, activity_id=activity_id, viewer=user)


@router.post("/{activity_id}/signup", response_model=SignupPublic)
async def signup(activity_id: Id, session: SessionDep, user: CurrentUser, wait: bool = False):
    """Sign up; full → 409 activity_full, or with `?wait=true` join the waiting list."""
    return await activity_signups.signup(session, activity_id=activity_id, actor=user, wait=wait)


@router.delete("/{activity_id}/signup", response_model=SignupPublic)
async def cancel_signup(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Cancel your sign-up (or leave the waiting list); the first waiter takes the place."""
    return await activity_signups.cancel_signup(session, activity_id=activity_id, actor=user)


@router.get("/{activity_id}/qr", response_model=QrToken)
async def activity_qr(activity_id: Id, session: SessionDep, user: CurrentUser):
    """The organiser's live sign-in code (used with POST /checkins); it rotates every 30 seconds."""
    return await activity_attendance.live_qr(session, activity_id=activity_id, actor=user)


@router.get("/{activity_id}/qr.svg", response_class=Response, responses=SVG_RESPONSES)
async def activity_qr_svg(activity_id: Id, session: SessionDep, user: CurrentUser):
    """The live sign-in code as an SVG image."""
    code = await activity_attendance.live_qr(session, activity_id=activity_id, actor=user)
    return await qr_svg(code.url)


@router.get("/{activity_id}/ticket", response_model=TicketPublic)
async def my_ticket(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Your personal ticket code, for the organiser to scan."""
    return await activity_signups.my_ticket(session, activity_id=activity_id, actor=user)


@router.get("/{activity_id}/ticket.svg", response_class=Response, responses=SVG_RESPONSES)
async def my_ticket_svg(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Your ticket code as an SVG image."""
    ticket = await activity_signups.my_ticket(session, activity_id=activity_id, actor=user)
    return await qr_svg(ticket.token)


@router.post("/{activity_id}/tickets", response_model=AttendancePublic)
async def sign_in_by_ticket(activity_id: Id, body: TicketIn, session: SessionDep, user: CurrentUser):
    """The organiser submits an attendee's scanned ticket code to sign them in."""
    return await activity_attendance.sign_in_by_ticket(
        session, activity_id=activity_id, token=body.token, actor=user
    )


@router.post("/{activity_id}/attendance", response_model=AttendancePublic)
async def sign_in_by_phone(activity_id: Id, body: AttendanceIn, session: SessionDep, user: CurrentUser):
    """The organiser signs in someone without a smartphone by phone (audit-logged; a walk-in gets a place
    if any, or one beyond capacity with `over_capacity`)."""
    return await activity_attendance.sign_in_by_phone(
        session,
        activity_id=activity_id,
        phone=body.phone,
        name=body.name,
        actor=user,
        over_capacity=body.over_capacity,
    )


@router.get("/{activity_id}/attendance", response_model=list[AttendancePublic])
async def list_attendance(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Who has signed in (organiser)."""
    return await activity_attendance.attendees(session, activity_id=activity_id, actor=user)


@router.get("/{activity_id}/roster", response_model=list[RosterRow])
async def roster(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Everyone on the list (organiser): sign-ups, the waiting list, walk-ins, with their state."""
    return await activity_attendance.roster(session, activity_id=activity_id, actor=user)


@router.get(
    "/{activity_id}/roster.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
)
async def roster_xlsx(activity_id: Id, session: SessionDep, user: CurrentUser):
    """The list as an Excel 签到表."""
    data, title = await activity_attendance.roster_xlsx(session, activity_id=activity_id, actor=user)
    return xlsx_response(data, f"{title}签到名单.xlsx", ascii_name=f"activity-{activity_id}-roster.xlsx")


@router.post("/{activity_id}/signout", response_model=AttendancePublic)
async def sign_out(activity_id: Id, body: SignoutIn, session: SessionDep, user: CurrentUser):
    """Sign out by rescanning the live code (or the organiser by phone); credits the minutes once."""
    return await activity_attendance.sign_out(
        session, activity_id=activity_id, token=body.token, phone=body.phone, actor=user
    )


@router.post("/{activity_id}/close", response_model=ActivityClosed)
async def close_activity(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Close: credits `credit_minutes` to every attendee once, however often it is called; records no-shows."""
    return await activity_attendance.close_activity(session, activity_id=activity_id, actor=user)


@router.post("/{activity_id}/close/undo", response_model=ActivityPublic)
async def undo_close(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Undo the close within 10 minutes of it: its credits are reversed, no-shows unmarked, the activity open again."""
    return await activity_attendance.undo_close(session, activity_id=activity_id, actor=user)


@router.get("/{activity_id}/stats", response_model=ActivityStats)
async def activity_stats(activity_id: Id, session: SessionDep, user: CurrentUser):
    """Attendance and no-show rates (organiser)."""
    return await activity_attendance.activity_stats(session, activity_id=activity_id, actor=user)
