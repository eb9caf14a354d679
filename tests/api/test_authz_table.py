"""Who may call what: every route of the JSON API has a row here, and every outsider is refused (issue 10).

`ROUTES` below names every route of the OpenAPI document under /api/v1, each method. A route missing
from the table fails `test_every_route_has_a_row`, so a new route cannot be added without deciding who
may call it. The kinds of row:

- `PUBLIC`: no sign-in needed (sign-in itself, WeChat OAuth). Nothing is asserted.
- `SIGNED_IN`: any signed-in person, acting on their own data only (/me, their own statement, lists
  that show everyone the same public things). Anonymous callers get 401.
- `S(who, **path, body=, query=, ...)`: SCOPED, the route acts on an object of a node. The object is
  built in the fixture world (`_world`; `path` maps each {param} of the route to a key of the world), the
  body is a VALID one (so the permission check, not validation, decides), and the route is called as
  every role in `who`: each must be refused (401 for anonymous, 403 or 404 for anyone else; never 2xx,
  never 500) and the database must be byte for byte the same afterwards (every row of every table).
  A row may be a list of several `S(...)` when the route has more than one way in (acting for someone).
  Then the positive control: the same call, as someone who may make it (`ok=`, default: the first of
  a2.resident, a.neighbour, a.compound_staff, a.alliance_admin not in `who`), must succeed (undone
  afterwards), so every refusal above was the permission check's and not a bad body's or a missing
  object's. `ok=None` when nobody in the world may make the call.
- `S(..., also=(409,))`: a 409 that speaks only of the caller ("you hold no slot") also counts as refused.
- `S(..., hide=True)`: a list that anyone may call, filtered to the caller: a 2xx is fine, but nothing
  the caller may not see may appear in it. The world marks each object's title with `ALLIANCE_MARK`
  (published: anyone in its alliance may read it) or `PRIVATE_MARK` (only the people it names and staff
  over its node); a caller from another alliance must see neither mark, a caller of the same alliance
  outside the subtree must not see `PRIVATE_MARK`.

The outsider sets (who is refused), from the narrowest to the widest:

- `OTHER_ALLIANCE`: anonymous and every role of another alliance (resident, volunteer, party member,
  grid/compound/community staff, station master, unit admin, alliance admin). For things residents of
  the same alliance may read or take (published wishes, activities, stations, posts, claiming).
- `OTHER_SUBTREE`: those, and everyone of the same alliance outside the object's subtree (residents,
  party members, staff and admins of the sibling community, its station master, the member unit's admin).
- `NOT_STAFF`: those, and the object's own neighbours without a role (a resident and a party member of
  the same compound): for staff-only routes over a subtree.
- `NOT_ALLIANCE_ADMIN`: those, and the staff under the alliance (compound staff, community admin):
  alliance-wide settings.
- `ALL`: everyone in the world but the one person the object belongs to (their notification, their claim).

To add a row: put the route's "METHOD /api/v1/path" as the key, pick the kind, and for a scoped route
name the object (add it to `_world` if it is new), a valid body, and the outsider set; subtract from a set
(`NOT_STAFF - {"a.unit_admin"}`) when a role there may legitimately call it.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from app import clock
from app.models.notifications import Notification
from app.models.stations import Station
from app.services import ledger
from tests.factories import auth, make_tree, make_user, photo

API = "/api/v1"
ALLIANCE_MARK = "【盟内可见】"
PRIVATE_MARK = "【仅本人与上级】"

# ---- the roles ----

# Another alliance: every role there. Keys are names in the world's `people`.
_B_ROLES = {
    "b.resident",
    "b.volunteer",
    "b.party_member",
    "b.grid_staff",
    "b.compound_staff",
    "b.community_staff",
    "b.station_master",
    "b.unit_admin",
    "b.alliance_admin",
}
# The same alliance, another subtree (the sibling community), and the member unit's admin.
_SIBLING_ROLES = {
    "a2.resident",
    "a2.volunteer",
    "a2.party_member",
    "a2.compound_staff",
    "a2.community_staff",
    "a2.community_admin",
    "a2.station_master",
    "a.unit_admin",
}
OTHER_ALLIANCE = frozenset({"anonymous"} | _B_ROLES)
OTHER_SUBTREE = OTHER_ALLIANCE | _SIBLING_ROLES
NOT_STAFF = OTHER_SUBTREE | {"a.neighbour", "a.party_member"}
NOT_ALLIANCE_ADMIN = NOT_STAFF | {"a.compound_staff", "a.community_admin"}
ALL = NOT_ALLIANCE_ADMIN | {"a.alliance_admin", "a.grid_staff"}


@dataclass(frozen=True)
class S:
    """A scoped row: who is refused, the object (route param → world key), a valid body."""

    who: frozenset[str]
    path: dict[str, str] = field(default_factory=dict)
    body: Any = None  # a dict, or a function of the world giving one
    query: Any = None  # the same
    headers: dict[str, str] = field(default_factory=dict)
    files: bool = False  # a multipart photo upload
    hide: bool = False  # a filtered list: 2xx allowed, but no mark the caller may not see
    also: tuple[int, ...] = ()  # other refusals that say only something about the caller (409 "not yours")
    ok: Any = None  # the insider whose same call succeeds (see `_insider`); None: none to try

    def __init__(
        self, who, *, body=None, query=None, headers=None, files=False, hide=False, also=(), ok=..., **path
    ):
        object.__setattr__(self, "who", frozenset(who))
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "query", query)
        object.__setattr__(self, "headers", headers or {})
        object.__setattr__(self, "files", files)
        object.__setattr__(self, "hide", hide)
        object.__setattr__(self, "also", tuple(also))
        object.__setattr__(self, "ok", ok)


def _insider(case: S) -> str | None:
    """Who may make the call (the positive control): the row's `ok`, else the nearest role not refused."""
    if case.ok is not ...:
        return case.ok
    return next(
        (
            r
            for r in ("a2.resident", "a.neighbour", "a.compound_staff", "a.alliance_admin")
            if r not in case.who
        ),
        None,
    )


PUBLIC = "public"
SIGNED_IN = "signed_in"
IDEM = {"Idempotency-Key": "authz-table"}


def _iso(dt):
    return dt.isoformat()


# ---- the table: every route, every method ----

ROUTES: dict[str, Any] = {
    # sign-in
    "POST /api/v1/auth/sms-code": PUBLIC,
    "POST /api/v1/auth/login": PUBLIC,
    "GET /api/v1/auth/wechat/authorize": PUBLIC,
    "GET /api/v1/auth/wechat/callback": PUBLIC,
    "POST /api/v1/auth/change-phone": SIGNED_IN,
    "POST /api/v1/auth/logout": PUBLIC,  # clears the cookie; without a token there is nothing to revoke
    "POST /api/v1/auth/logout-everywhere": SIGNED_IN,
    "GET /api/v1/me": SIGNED_IN,
    "PATCH /api/v1/me": SIGNED_IN,
    # people, acted on by staff over where they belong
    "PATCH /api/v1/users/{user_id}": S(
        NOT_STAFF, user_id="poster", body=lambda w: {"home_org_id": w["grid"], "reason": "搬家"}
    ),
    "POST /api/v1/users/{user_id}/block": S(
        NOT_STAFF, user_id="poster", body={"reason": "冒用"}, ok="a.community_admin"
    ),
    "DELETE /api/v1/users/{user_id}/block": S(NOT_STAFF, user_id="blocked", ok="a.community_admin"),
    # the org tree
    "POST /api/v1/orgs": S(
        ok="a.community_admin",
        who=NOT_STAFF,
        body=lambda w: {"name": "新网格", "kind": "grid", "parent_id": w["compound"]},
    ),
    "GET /api/v1/orgs/{org_id}": SIGNED_IN,  # names of nodes are public
    "GET /api/v1/orgs/{org_id}/children": SIGNED_IN,
    "POST /api/v1/orgs/{org_id}/roles": S(
        ok="a.community_admin",
        who=NOT_STAFF,
        org_id="compound",
        body={"phone": "13912345678", "role": "staff"},
    ),
    "DELETE /api/v1/orgs/{org_id}/roles/{user_id}": S(
        NOT_STAFF, org_id="grid", user_id="grid_staff_id", ok="a.community_admin"
    ),
    "POST /api/v1/orgs/{unit_id}/communities": S(
        NOT_ALLIANCE_ADMIN, unit_id="unit", body=lambda w: {"community_id": w["other_community"]}
    ),
    # the time bank
    "GET /api/v1/timebank/me": SIGNED_IN,
    "GET /api/v1/timebank/me/entries": SIGNED_IN,
    "GET /api/v1/timebank/me/years": SIGNED_IN,
    "GET /api/v1/timebank/orgs/{org_id}/years": S(NOT_STAFF, org_id="compound"),
    "POST /api/v1/timebank/transfers": SIGNED_IN,  # one's own minutes
    "POST /api/v1/timebank/grants": [
        S(
            NOT_STAFF,
            headers=IDEM,
            ok="a.community_admin",
            body=lambda w: {"user_id": w["poster"], "minutes": 30, "reason": "补录"},
        ),
        S(
            NOT_STAFF,
            headers=IDEM,
            ok="a.community_admin",
            body=lambda w: {"user_id": w["poster"], "minutes": -30, "reason": "更正"},
        ),
    ],
    "GET /api/v1/timebank/audit": SIGNED_IN,  # an alliance admin's own alliance only (test_timebank)
    "GET /api/v1/timebank/policy": SIGNED_IN,  # the rules are public
    "PUT /api/v1/timebank/policy/{alliance_id}": S(
        NOT_ALLIANCE_ADMIN, alliance_id="alliance", body=lambda w: w["policy"]
    ),
    "PUT /api/v1/timebank/hardship/{user_id}": S(NOT_STAFF, user_id="poster", query={"hardship": "true"}),
    "GET /api/v1/timebank/rewards": SIGNED_IN,
    "POST /api/v1/timebank/rewards": S(
        NOT_STAFF, body=lambda w: {"org_id": w["compound"], "name": "大米", "price_minutes": 10, "stock": 5}
    ),
    "PATCH /api/v1/timebank/rewards/{reward_id}": S(NOT_STAFF, reward_id="reward", body={"stock": 1}),
    "POST /api/v1/timebank/rewards/{reward_id}/redeem": [
        # minutes are spent in the alliance the person belongs to
        S(OTHER_ALLIANCE, reward_id="reward", headers={"Idempotency-Key": "authz-self"}),
        S(
            NOT_STAFF,
            reward_id="reward",
            headers={"Idempotency-Key": "authz-for"},
            body=lambda w: {"for_phone": w["poster_phone"]},
        ),
    ],
    "GET /api/v1/timebank/redemptions": SIGNED_IN,  # one's own
    # staff over the reward's shelf hand it over against the pickup code
    "POST /api/v1/timebank/redemptions/handover": S(NOT_STAFF, body=lambda w: {"code": w["pickup_code"]}),
    # micro-wishes
    # Anyone may ask for help, or report a problem, at any place (its staff review it); posting FOR
    # someone (on_behalf_of_phone) needs a role over where that person belongs.
    "POST /api/v1/wishes": [
        S(
            NOT_STAFF - {"anonymous"},
            body=lambda w: {
                "title": "代发",
                "category": "生活服务",
                "org_id": w["compound"],
                "on_behalf_of_phone": w["poster_phone"],
            },
        ),
    ],
    "GET /api/v1/wishes": [
        S(OTHER_SUBTREE - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}),
        S(
            OTHER_SUBTREE - {"anonymous"},
            hide=True,
            query=lambda w: {"org_id": w["compound"], "status": "submitted"},
        ),
    ],
    "GET /api/v1/wishes/claim-policy": SIGNED_IN,
    "PUT /api/v1/wishes/claim-policy/{alliance_id}": S(
        NOT_ALLIANCE_ADMIN,
        alliance_id="alliance",
        body={"max_open_claims": 9, "max_claims_per_day": 9, "max_releases_per_day": 9},
    ),
    "GET /api/v1/wishes/categories": SIGNED_IN,
    "PUT /api/v1/wishes/categories": S(
        NOT_ALLIANCE_ADMIN, body=lambda w: {"alliance_id": w["alliance"], "names": ["生活服务", "新类"]}
    ),
    "GET /api/v1/wishes/{wish_id}": [S(OTHER_ALLIANCE, wish_id="w_pub"), S(NOT_STAFF, wish_id="w_sub")],
    "POST /api/v1/wishes/{wish_id}/review": [
        S(NOT_STAFF, wish_id="w_sub", body={"approve": True}),
        S(NOT_STAFF, wish_id="w_sub", body=lambda w: {"approve": True, "assign_team_id": w["team"]}),
    ],
    "POST /api/v1/wishes/{wish_id}/claim": S(OTHER_ALLIANCE, wish_id="w_pub"),
    "POST /api/v1/wishes/{wish_id}/release": S(NOT_STAFF, wish_id="w_claimed", ok="claimer"),
    "POST /api/v1/wishes/{wish_id}/done": S(
        ALL, wish_id="w_claimed", body={"note": "修好了", "minutes_spent": 30}, ok="claimer"
    ),
    "POST /api/v1/wishes/{wish_id}/confirm": [
        S(ALL, wish_id="w_done", body={"rating": 5}, ok="poster"),
        # only the staff who posted the wish for the resident confirm it for them
        S(
            ALL - {"a.compound_staff"},
            wish_id="w_done_for",
            body={"rating": 5, "on_behalf": True},
            ok="a.compound_staff",
        ),
    ],
    "POST /api/v1/wishes/{wish_id}/verify": S(NOT_STAFF, wish_id="w_confirmed", body={"credit_minutes": 30}),
    "POST /api/v1/wishes/{wish_id}/cancel": S(NOT_STAFF, wish_id="w_sub", ok="poster"),
    "POST /api/v1/wishes/{wish_id}/photos": S(NOT_STAFF, wish_id="w_sub", files=True),
    "GET /api/v1/wishes/{wish_id}/photos/{index}": S(NOT_STAFF, wish_id="w_sub", index="zero"),
    # resources of member units
    "POST /api/v1/resources": S(
        ALL - {"a.unit_admin", "a.alliance_admin"},
        body=lambda w: {"unit_id": w["unit"], "title": "义诊", "category": "生活服务"},
    ),
    "GET /api/v1/resources": SIGNED_IN,  # what units offer is public
    "POST /api/v1/resources/{resource_id}/withdraw": S(
        ALL - {"a.unit_admin", "a.alliance_admin"}, resource_id="resource"
    ),
    # the four lists
    "GET /api/v1/orgs/{org_id}/lists/{kind}.xlsx": S(NOT_STAFF, org_id="compound", kind="needs"),
    "GET /api/v1/orgs/{org_id}/lists/resources": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/lists/needs": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/lists/claims": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/lists/results": S(NOT_STAFF, org_id="compound"),
    # notifications: one's own
    "GET /api/v1/notifications": SIGNED_IN,
    "GET /api/v1/notifications/unread-count": SIGNED_IN,
    "GET /api/v1/notifications/settings": SIGNED_IN,
    "PATCH /api/v1/notifications/settings": SIGNED_IN,
    "POST /api/v1/notifications/read-all": SIGNED_IN,
    "POST /api/v1/notifications/{notification_id}/read": S(ALL, notification_id="notification", ok="poster"),
    # stations and shifts
    "POST /api/v1/stations": S(
        ok="a.community_admin",
        who=NOT_STAFF,
        body=lambda w: {"name": "新驿站", "org_id": w["compound"], "lat": 34.28, "lng": 119.23},
    ),
    "GET /api/v1/stations": S(
        OTHER_ALLIANCE - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}
    ),
    "GET /api/v1/stations/{station_id}": S(OTHER_ALLIANCE, station_id="station"),
    "PATCH /api/v1/stations/{station_id}": S(NOT_STAFF, station_id="station", body={"name": "改名"}),
    "GET /api/v1/stations/{station_id}/qr": S(NOT_STAFF, station_id="station"),
    "GET /api/v1/stations/{station_id}/qr.svg": S(NOT_STAFF, station_id="station"),
    "GET /api/v1/stations/{station_id}/card": S(NOT_STAFF, station_id="station"),
    "POST /api/v1/stations/{station_id}/card/reissue": S(NOT_STAFF, station_id="station"),
    "GET /api/v1/stations/{station_id}/card.svg": S(NOT_STAFF, station_id="station"),
    "GET /api/v1/stations/{station_id}/stats": S(NOT_STAFF, station_id="station"),
    "POST /api/v1/stations/{station_id}/shifts": S(
        NOT_STAFF,
        station_id="station",
        body=lambda w: {
            "starts_at": _iso(clock.now() + timedelta(days=2)),
            "ends_at": _iso(clock.now() + timedelta(days=2, hours=2)),
            "capacity": 2,
        },
    ),
    "GET /api/v1/stations/{station_id}/shifts": S(OTHER_ALLIANCE, station_id="station"),
    "POST /api/v1/shifts/{shift_id}/signup": S(OTHER_ALLIANCE, shift_id="shift"),
    "DELETE /api/v1/shifts/{shift_id}/signup": S(OTHER_ALLIANCE, shift_id="shift", ok="a.neighbour"),
    "POST /api/v1/shifts/{shift_id}/close": S(NOT_STAFF, shift_id="shift"),
    "POST /api/v1/checkins": SIGNED_IN,  # the signed code is the permission (test_checkins)
    "GET /api/v1/checkins/mine": SIGNED_IN,
    # activities
    "POST /api/v1/activities": S(
        NOT_STAFF,
        body=lambda w: {
            "org_id": w["compound"],
            "title": "新活动",
            "kind": "志愿服务",
            "starts_at": _iso(clock.now() + timedelta(days=1)),
            "ends_at": _iso(clock.now() + timedelta(days=1, hours=1)),
            "location": "广场",
            "capacity": 5,
            "credit_minutes": 60,
        },
    ),
    "GET /api/v1/activities": S(
        OTHER_ALLIANCE - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}
    ),
    "GET /api/v1/activities/{activity_id}": S(OTHER_ALLIANCE, activity_id="activity"),
    "POST /api/v1/activities/{activity_id}/signup": S(OTHER_ALLIANCE, activity_id="activity"),
    "DELETE /api/v1/activities/{activity_id}/signup": S(
        OTHER_ALLIANCE, activity_id="activity", ok="attendee"
    ),
    "GET /api/v1/activities/{activity_id}/qr": S(NOT_STAFF, activity_id="activity"),
    "GET /api/v1/activities/{activity_id}/qr.svg": S(NOT_STAFF, activity_id="activity"),
    "GET /api/v1/activities/{activity_id}/ticket": S(OTHER_ALLIANCE, activity_id="activity", ok="attendee"),
    "GET /api/v1/activities/{activity_id}/ticket.svg": S(
        OTHER_ALLIANCE, activity_id="activity", ok="attendee"
    ),
    "POST /api/v1/activities/{activity_id}/tickets": S(
        NOT_STAFF, activity_id="activity", body=lambda w: {"token": w["ticket"]}
    ),
    "POST /api/v1/activities/{activity_id}/attendance": S(
        NOT_STAFF, activity_id="activity", body=lambda w: {"phone": w["attendee_phone"]}
    ),
    "GET /api/v1/activities/{activity_id}/attendance": S(NOT_STAFF, activity_id="activity"),
    "GET /api/v1/activities/{activity_id}/roster": S(NOT_STAFF, activity_id="activity"),
    "GET /api/v1/activities/{activity_id}/roster.xlsx": S(NOT_STAFF, activity_id="activity"),
    "POST /api/v1/activities/{activity_id}/signout": S(
        NOT_STAFF, activity_id="activity", body=lambda w: {"phone": w["attendee_phone"]}
    ),
    # one that has begun: nobody closes an activity before its start (409 activity_not_started)
    "POST /api/v1/activities/{activity_id}/close": S(NOT_STAFF, activity_id="started_activity"),
    # one closed a moment ago, so its organisers may still undo the close
    "POST /api/v1/activities/{activity_id}/close/undo": S(NOT_STAFF, activity_id="closed_activity"),
    "GET /api/v1/activities/{activity_id}/stats": S(NOT_STAFF, activity_id="activity"),
    # party members reporting to their branch, posts, records and feedback
    # 409 already_reported: B's member has reported to their own branch this year
    "POST /api/v1/member-reports": S(
        OTHER_ALLIANCE,
        ok="a2.party_member",
        also=(409,),
        body=lambda w: {"employer_unit_id": w["unit"], "org_id": w["compound"], "skills": []},
    ),
    "GET /api/v1/member-reports": S(
        NOT_STAFF - {"anonymous", "a.party_member"}, hide=True, query=lambda w: {"org_id": w["compound"]}
    ),
    # the admin of the member's employer unit reads their report (API.md: /members/{id}/record)
    "GET /api/v1/member-reports/{report_id}": S(
        NOT_STAFF - {"a.party_member", "a.unit_admin"}, report_id="report"
    ),
    "POST /api/v1/member-reports/{report_id}/review": S(
        NOT_STAFF - {"a.party_member"}, report_id="report", body={"approve": True}
    ),
    "POST /api/v1/member-reports/{report_id}/move": S(
        ALL, report_id="approved_report", body=lambda w: {"org_id": w["grid"]}, ok="member"
    ),  # the member moves their own report
    "POST /api/v1/orgs/{org_id}/posts": S(
        NOT_STAFF, org_id="compound", body={"title": "文明劝导员", "slots": 2}
    ),
    "GET /api/v1/orgs/{org_id}/posts": S(OTHER_ALLIANCE - {"anonymous"}, org_id="compound", hide=True),
    "GET /api/v1/posts/open": S(OTHER_ALLIANCE - {"anonymous"}, hide=True),
    "GET /api/v1/posts/{post_id}": S(OTHER_ALLIANCE, post_id="post"),
    "POST /api/v1/posts/{post_id}/claim": S(OTHER_ALLIANCE, post_id="post", ok="member2"),
    # 409 post_not_claimed: the answer is about the caller (they hold no slot), not the post
    "POST /api/v1/posts/{post_id}/leave": S(OTHER_ALLIANCE, post_id="post", also=(409,), ok="member"),
    "POST /api/v1/posts/{post_id}/logs": S(
        NOT_STAFF, post_id="post", body={"minutes": 30, "note": "巡防"}, also=(409,), ok="member"
    ),
    "GET /api/v1/posts/{post_id}/logs": S(
        NOT_STAFF - {"anonymous"}, post_id="post", hide=True
    ),  # one's own logs
    "GET /api/v1/members/{user_id}/record": S(
        NOT_STAFF - {"a.unit_admin", "a.party_member"}, user_id="member"
    ),
    "PUT /api/v1/members/{user_id}/feedback/{year}": S(
        NOT_STAFF - {"a.party_member"}, user_id="member", year="year", body={"rating": "excellent"}
    ),
    "PUT /api/v1/members/{user_id}/service-cards/{year}/{quarter}": S(
        NOT_STAFF - {"a.party_member"},
        user_id="member",
        year="year",
        quarter="quarter",
        body={"rating": "qualified"},
    ),
    "GET /api/v1/members/{user_id}/feedback": S(
        NOT_STAFF - {"a.unit_admin", "a.party_member"}, user_id="member"
    ),
    "GET /api/v1/units/{unit_id}/feedback": S(ALL - {"a.unit_admin", "a.alliance_admin"}, unit_id="unit"),
    "GET /api/v1/units/{unit_id}/feedback.xlsx": S(
        ALL - {"a.unit_admin", "a.alliance_admin"}, unit_id="unit"
    ),
    "GET /api/v1/orgs/{alliance_id}/member-settings": SIGNED_IN,
    "PUT /api/v1/orgs/{alliance_id}/member-settings": S(
        NOT_ALLIANCE_ADMIN, alliance_id="alliance", body={"quarterly_service_cards": False}
    ),
    "POST /api/v1/units/{unit_id}/agreements": S(
        ok="a.community_admin",
        who=NOT_STAFF,
        unit_id="unit",
        body=lambda w: {"community_id": w["community"], "signed_on": "2026-03-01", "term_months": 12},
    ),
    "GET /api/v1/units/{unit_id}/agreements": S(
        NOT_STAFF - {"anonymous", "a.unit_admin"}, unit_id="unit", hide=True
    ),
    "PUT /api/v1/units/{unit_id}/assessments/{year}": S(
        ok="a.community_admin",
        who=NOT_STAFF,
        unit_id="unit",
        year="year",
        body=lambda w: {"community_id": w["community"], "score": 60, "reasons": "改分"},
    ),
    "GET /api/v1/units/{unit_id}/assessments": S(
        NOT_STAFF - {"anonymous", "a.unit_admin"}, unit_id="unit", hide=True
    ),
    # grid events
    "POST /api/v1/events": [
        S(
            NOT_STAFF - {"anonymous"},
            body=lambda w: {
                "category": "环境卫生",
                "description": "代报",
                "org_id": w["grid"],
                "on_behalf_of_phone": w["poster_phone"],
            },
        ),
    ],
    # the handler unit sees what was dispatched to it
    "GET /api/v1/events": S(
        NOT_STAFF - {"anonymous", "a.unit_admin"}, hide=True, query=lambda w: {"org_id": w["compound"]}
    ),
    "GET /api/v1/events/{event_id}": S(NOT_STAFF, event_id="ev_reported"),
    "POST /api/v1/events/{event_id}/dispatch": S(
        NOT_STAFF,
        event_id="ev_reported",
        body=lambda w: {"handler_org_id": w["unit"], "due_at": _iso(clock.now() + timedelta(days=2))},
    ),
    "POST /api/v1/events/{event_id}/handle": S(
        NOT_STAFF - {"a.unit_admin"}, event_id="ev_dispatched", body={"note": "已清理"}, ok="a.unit_admin"
    ),
    "POST /api/v1/events/{event_id}/check": S(NOT_STAFF, event_id="ev_handled", body={"ok": True}),
    "POST /api/v1/events/{event_id}/feedback": S(
        ALL, event_id="ev_checked", body={"satisfied": True}, ok="poster"
    ),
    "POST /api/v1/events/{event_id}/photos": S(NOT_STAFF, event_id="ev_reported", files=True),
    "GET /api/v1/events/{event_id}/photos/{index}": S(NOT_STAFF, event_id="ev_reported", index="zero"),
    # numbers
    "GET /api/v1/orgs/{org_id}/stats": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/stats.xlsx": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/stats/cuts": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/stats/records": S(
        NOT_STAFF, org_id="compound", query={"figure": "wishes.verified"}
    ),
    "GET /api/v1/orgs/{org_id}/stats/yearly.xlsx": S(NOT_STAFF, org_id="compound"),
    # a unit's own figures: its admin, staff of its alliance, staff of the communities it serves
    "GET /api/v1/units/{unit_id}/stats": S(
        ALL - {"a.unit_admin", "a.alliance_admin", "a.community_admin"}, unit_id="unit", ok="a.unit_admin"
    ),
    # volunteer teams: published to their alliance; led by their leader and the staff over their node
    "POST /api/v1/teams": S(
        NOT_STAFF,
        body=lambda w: {
            "name": "新服务队",
            "kind": "volunteer",
            "org_id": w["compound"],
            "leader_id": w["poster"],
        },
    ),
    "GET /api/v1/teams": [
        S(OTHER_ALLIANCE - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}),
        S(OTHER_ALLIANCE - {"anonymous"}, hide=True),  # the caller's own alliance
        S(OTHER_ALLIANCE - {"anonymous"}, hide=True, query={"mine": "true"}),
    ],
    "GET /api/v1/teams/{team_id}": S(OTHER_ALLIANCE, team_id="team"),
    "PATCH /api/v1/teams/{team_id}": S(NOT_STAFF, team_id="team", body={"description": "改简介"}),
    "POST /api/v1/teams/{team_id}/join": S(OTHER_ALLIANCE, team_id="team"),
    "POST /api/v1/teams/{team_id}/invite": S(
        NOT_STAFF, team_id="team", body=lambda w: {"phone": w["poster_phone"]}
    ),
    "POST /api/v1/teams/{team_id}/members/{user_id}/approve": S(NOT_STAFF, team_id="team", user_id="joiner"),
    "DELETE /api/v1/teams/{team_id}/members/{user_id}": S(NOT_STAFF, team_id="team", user_id="teammate"),
    # demonstration posts: given by staff over the member's home, listed (公示) to the alliance
    "POST /api/v1/demonstration-posts": [
        S(
            NOT_STAFF,
            body=lambda w: {
                "title": "党员示范岗",
                "duty": "调解纠纷",
                "starts_on": clock.today().isoformat(),
                "user_id": w["member"],
            },
        ),
        S(
            NOT_STAFF,
            body=lambda w: {
                "title": "示范驿站",
                "duty": "便民服务",
                "starts_on": clock.today().isoformat(),
                "station_id": w["station"],
            },
        ),
    ],
    "GET /api/v1/demonstration-posts": [
        S(OTHER_ALLIANCE - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}),
        S(OTHER_ALLIANCE - {"anonymous"}, hide=True, query={"current": "false"}),
    ],
    "POST /api/v1/demonstration-posts/{post_id}/end": S(NOT_STAFF, post_id="demo_post"),
    # a station's service log: its master, deputies and the staff over it
    "POST /api/v1/stations/{station_id}/services": S(
        NOT_STAFF, station_id="station", body={"kind": "理发", "count": 3}
    ),
    "GET /api/v1/stations/{station_id}/services": S(NOT_STAFF, station_id="station"),
    "GET /api/v1/stations/{station_id}/services/totals": S(NOT_STAFF, station_id="station"),
    # a member's service card: the member and the staff over their home; only the member sets promises
    "GET /api/v1/members/{user_id}/card": S(NOT_STAFF, user_id="member"),
    "GET /api/v1/members/{user_id}/card.svg": S(NOT_STAFF, user_id="member"),
    "PUT /api/v1/members/{user_id}/card": S(
        ALL, user_id="member", body={"commitments": ["每周六义务理发"]}, ok="member"
    ),
    # the card is printed and posted for anyone to scan: its masked profile is for every signed-in person
    "GET /api/v1/member-cards/{code}": S({"anonymous"}, code="card_code"),
    # asking the member for help makes a wish: for the people of the member's alliance
    "POST /api/v1/member-cards/{code}/help": S(
        OTHER_ALLIANCE,
        code="card_code",
        body={"title": "请帮忙理发", "description": "行动不便", "category": "生活服务"},
    ),
    # meetings: minutes by the organiser, read in full by attendees and staff, resolutions by the community
    "POST /api/v1/activities/{activity_id}/minutes": S(
        NOT_STAFF, activity_id="meeting", body={"text": "改纪要", "public": True, "resolutions": []}
    ),
    "GET /api/v1/activities/{activity_id}/minutes": S(OTHER_SUBTREE, activity_id="meeting"),
    "POST /api/v1/activities/{activity_id}/minutes/photos": S(NOT_STAFF, activity_id="meeting", files=True),
    "GET /api/v1/activities/{activity_id}/minutes/photos/{index}": S(
        NOT_STAFF, activity_id="meeting", index="zero"
    ),
    "GET /api/v1/resolutions": [
        S(OTHER_SUBTREE - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}),
        S(OTHER_SUBTREE - {"anonymous"}, hide=True),  # the caller's own community
    ],
    "POST /api/v1/activities/{activity_id}/action-items": S(
        NOT_STAFF,
        activity_id="meeting",
        body=lambda w: {
            "text": "修路灯",
            "due_on": (clock.today() + timedelta(days=3)).isoformat(),
            "owner_user_id": w["poster"],
        },
    ),
    "GET /api/v1/activities/{activity_id}/action-items": S(NOT_STAFF, activity_id="meeting"),
    "POST /api/v1/action-items/{item_id}/done": S(
        ALL, item_id="action_item", body={"note": "已修复"}, ok="poster"
    ),
    "POST /api/v1/action-items/{item_id}/photos": S(ALL, item_id="action_item", files=True, ok="poster"),
    "GET /api/v1/action-items/{item_id}/photos/{index}": S(NOT_STAFF, item_id="action_item", index="zero"),
    "GET /api/v1/action-items": [
        S(NOT_STAFF - {"anonymous"}, hide=True, query=lambda w: {"org_id": w["compound"]}),
        S(NOT_STAFF - {"anonymous"}, hide=True),  # the items the caller or their units own
    ],
    # the joint meeting's chair rotation: staff over the community read it, the alliance admin sets it
    "GET /api/v1/orgs/{org_id}/chair-rotation": S(
        NOT_ALLIANCE_ADMIN - {"a.community_admin"}, org_id="community", ok="a.community_admin"
    ),
    "PUT /api/v1/orgs/{org_id}/chair-rotation": S(
        ALL - {"a.alliance_admin"},
        org_id="community",
        body=lambda w: {"unit_ids": [w["unit"]]},
        ok="a.alliance_admin",
    ),
    # co-building: commitments of an agreement, the alliance's assessment items, scoring and approval
    "POST /api/v1/units/{unit_id}/agreements/{agreement_id}/commitments": S(
        ALL - {"a.community_admin", "a.alliance_admin"},
        unit_id="unit",
        agreement_id="agreement",
        body={"kind": "service", "title": "义诊", "target": 4, "period": "year"},
        ok="a.community_admin",
    ),
    "GET /api/v1/units/{unit_id}/agreements/{agreement_id}/commitments": S(
        ALL - {"a.unit_admin", "a.community_admin", "a.alliance_admin"},
        unit_id="unit",
        agreement_id="agreement",
        ok="a.community_admin",
    ),
    "GET /api/v1/assessment-sources": SIGNED_IN,  # the names of the automatic figures
    # anyone holding a role in the alliance reads its items
    "GET /api/v1/orgs/{org_id}/assessment-items": S(
        OTHER_ALLIANCE
        | {
            "a2.resident",
            "a2.volunteer",
            "a2.party_member",
            "a2.station_master",
            "a.neighbour",
            "a.party_member",
        },
        org_id="alliance",
        ok="a.compound_staff",
    ),
    "PUT /api/v1/orgs/{org_id}/assessment-items": S(
        ALL - {"a.alliance_admin"},
        org_id="alliance",
        body={"items": [{"name": "共建服务", "weight": 100}]},
        ok="a.alliance_admin",
    ),
    "GET /api/v1/units/{unit_id}/assessments/{year}/form": S(
        ALL - {"a.community_admin", "a.alliance_admin"}, unit_id="unit", year="year", ok="a.community_admin"
    ),
    "POST /api/v1/units/{unit_id}/assessments/{year}/approve": S(
        ALL - {"a.alliance_admin"}, unit_id="unit", year="year", ok="a.alliance_admin"
    ),
    "GET /api/v1/orgs/{org_id}/assessments": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/orgs/{org_id}/assessments.xlsx": S(NOT_STAFF, org_id="compound"),
    "GET /api/v1/units/{unit_id}/progress": S(
        ALL - {"a.unit_admin", "a.alliance_admin"}, unit_id="unit", ok="a.unit_admin"
    ),
}


# ---- the routes of the OpenAPI document ----


def _api_routes(app) -> list[str]:
    methods = ("get", "post", "put", "patch", "delete")
    return [
        f"{method.upper()} {path}"
        for path, ops in app.openapi()["paths"].items()
        if path.startswith(f"{API}/")
        for method in ops
        if method in methods
    ]


async def test_every_route_has_a_row(app):
    routes = _api_routes(app)
    missing = [r for r in routes if r not in ROUTES]
    assert not missing, "routes without a row in tests/api/test_authz_table.py ROUTES:\n" + "\n".join(missing)
    gone = [r for r in ROUTES if r not in routes]
    assert not gone, f"rows for routes that no longer exist: {gone}"


async def test_every_route_but_the_public_ones_answers_401_to_anonymous(client, app):
    wrong = []
    for route in _api_routes(app):
        if ROUTES.get(route) == PUBLIC:
            continue
        method, path = route.split(" ", 1)
        url = path.format_map(_Ones())
        resp = await client.request(method, url, json={} if method in ("POST", "PUT", "PATCH") else None)
        if resp.status_code != 401:
            wrong.append(f"{route}: {resp.status_code} {resp.text[:120]}")
    assert not wrong, "\n".join(wrong)


class _Ones(dict):
    def __missing__(self, key):
        return "1"


# ---- the world ----


async def _ok(resp, status=(200, 201, 204)):
    assert resp.status_code in status, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    return resp.json() if resp.content and resp.headers.get("content-type", "").endswith("json") else None


async def _station(session, org, name, master=None, card=False) -> Station:
    station = Station(
        org_id=org.id,
        name=name,
        address="幸福路1号",
        lat=34.2867,
        lng=119.2390,
        services=["饮水"],
        open_hours="8:00-20:00",
        master_id=master.id if master else None,
        card_enabled=card,
    )
    session.add(station)
    await session.commit()
    return station


async def _world(client, session) -> tuple[dict, dict]:
    """Alliance A (the objects, in its community → compound → grid), its sibling community, alliance B.

    Returns (w, people): w maps names to ids and values the rows use; people maps role names to users.
    """
    a = await make_tree(session)
    b = await make_tree(session)
    mk = make_user
    people = {
        # alliance A, the objects' own subtree
        "poster": await mk(session, name="张阿姨", home=a.compound),
        "claimer": await mk(session, name="蒋志愿者", home=a.compound),
        "attendee": await mk(session, name="参加者", home=a.compound),
        "a.neighbour": await mk(session, name="邻居", home=a.compound),
        "a.party_member": await mk(session, name="本小区党员", home=a.compound, party="in_service"),
        "member": await mk(session, name="报到党员", home=a.compound, party="in_service"),
        "member2": await mk(session, name="另一报到党员", home=a.compound, party="in_service"),
        "a.grid_staff": await mk(session, name="网格员", role=(a.grid, "staff")),
        "a.compound_staff": await mk(session, name="小区工作人员", role=(a.compound, "staff")),
        "a.community_admin": await mk(session, name="社区管理员", role=(a.community, "admin")),
        "a.alliance_admin": await mk(session, name="联盟管理员", role=(a.alliance, "admin")),
        "a.master": await mk(session, name="站长", home=a.compound),
        "blocked": await mk(session, name="被停用", home=a.compound),
        "leader": await mk(session, name="王队长", home=a.compound),
        "joiner": await mk(session, name="申请入队", home=a.compound),
        "teammate": await mk(session, name="队员", home=a.compound),
        # alliance A, another subtree
        "a2.resident": await mk(session, name="隔壁居民", home=a.other_compound),
        "a2.volunteer": await mk(session, name="隔壁志愿者", home=a.other_compound),
        "a2.party_member": await mk(session, name="隔壁党员", home=a.other_compound, party="in_service"),
        "a2.compound_staff": await mk(session, name="隔壁小区", role=(a.other_compound, "staff")),
        "a2.community_staff": await mk(session, name="隔壁社区", role=(a.other_community, "staff")),
        "a2.community_admin": await mk(session, name="隔壁社区管理员", role=(a.other_community, "admin")),
        "a2.station_master": await mk(session, name="隔壁站长", home=a.other_compound),
        "a.unit_admin": await mk(session, name="单位管理员", role=(a.unit, "admin")),
        # alliance B
        "b.resident": await mk(session, name="外盟居民", home=b.compound),
        "b.volunteer": await mk(session, name="外盟志愿者", home=b.compound),
        "b.party_member": await mk(session, name="外盟党员", home=b.compound, party="in_service"),
        "b.grid_staff": await mk(session, name="外盟网格员", role=(b.grid, "staff")),
        "b.compound_staff": await mk(session, name="外盟小区", role=(b.compound, "staff")),
        "b.community_staff": await mk(session, name="外盟社区", role=(b.community, "staff")),
        "b.station_master": await mk(session, name="外盟站长", home=b.compound),
        "b.unit_admin": await mk(session, name="外盟单位", role=(b.unit, "admin")),
        "b.alliance_admin": await mk(session, name="外盟联盟", role=(b.alliance, "admin")),
    }
    p = people
    for who in ("a.volunteer", "a2.volunteer", "b.volunteer"):
        if who in p:
            p[who].skills = ["维修"]
    station = await _station(session, a.compound, f"{ALLIANCE_MARK}幸福里驿站", p["a.master"], card=True)
    await _station(session, a.other_compound, "和平驿站", p["a2.station_master"])
    await _station(session, b.compound, "外盟驿站", p["b.station_master"])

    # Everyone has minutes where they belong, so a refusal is never "not enough minutes".
    for i, user in enumerate(people.values()):
        org_id = user.home_org_id or user.registered_org_id
        await ledger.credit_service(
            session,
            org_id=org_id,
            user_id=user.id,
            minutes=600,
            ref_type="wish",
            ref_id=10_000 + i,
            memo="服务",
            actor_id=None,
        )
    await session.commit()

    def h(role):
        return auth(p[role])

    # the unit serves the community; members' service cards are on
    await _ok(
        await client.post(
            f"{API}/orgs/{a.unit.id}/communities",
            json={"community_id": a.community.id},
            headers=h("a.alliance_admin"),
        )
    )
    await _ok(
        await client.put(
            f"{API}/orgs/{a.alliance.id}/member-settings",
            json={"quarterly_service_cards": True},
            headers=h("a.alliance_admin"),
        )
    )
    policy = await _ok(
        await client.get(f"{API}/timebank/policy", params={"org_id": a.alliance.id}, headers=h("poster"))
    )

    # wishes in every state the routes act on
    async def wish(title):
        body = {"title": title, "description": "厨房水龙头滴水", "category": "生活服务", "child_name": "小明"}
        return (await _ok(await client.post(f"{API}/wishes", json=body, headers=h("poster"))))["id"]

    async def publish(wid):
        await _ok(
            await client.post(
                f"{API}/wishes/{wid}/review", json={"approve": True}, headers=h("a.compound_staff")
            )
        )

    w_sub = await wish(f"{PRIVATE_MARK}待审心愿")
    await _ok(
        await client.post(
            f"{API}/wishes/{w_sub}/photos",
            files={"photo": ("a.png", photo("PNG"), "image/png")},
            headers=h("poster"),
        )
    )
    w_pub = await wish(f"{ALLIANCE_MARK}已发布心愿")
    await publish(w_pub)
    w_claimed = await wish(f"{ALLIANCE_MARK}已认领心愿")
    await publish(w_claimed)
    await _ok(await client.post(f"{API}/wishes/{w_claimed}/claim", headers=h("claimer")))
    w_done = await wish(f"{ALLIANCE_MARK}已完成心愿")
    await publish(w_done)
    await _ok(await client.post(f"{API}/wishes/{w_done}/claim", headers=h("claimer")))
    await _ok(
        await client.post(
            f"{API}/wishes/{w_done}/done", json={"note": "修好了", "minutes_spent": 30}, headers=h("claimer")
        )
    )
    w_confirmed = await wish(f"{ALLIANCE_MARK}已确认心愿")
    await publish(w_confirmed)
    await _ok(await client.post(f"{API}/wishes/{w_confirmed}/claim", headers=h("claimer")))
    await _ok(
        await client.post(
            f"{API}/wishes/{w_confirmed}/done",
            json={"note": "修好了", "minutes_spent": 30},
            headers=h("claimer"),
        )
    )
    await _ok(
        await client.post(f"{API}/wishes/{w_confirmed}/confirm", json={"rating": 5}, headers=h("poster"))
    )
    notification = (
        await session.exec(select(Notification.id).where(Notification.user_id == p["poster"].id))
    ).first()
    assert notification is not None

    # a unit's resource, agreement and assessment
    resource = await _ok(
        await client.post(
            f"{API}/resources",
            json={"unit_id": a.unit.id, "title": "义诊", "category": "生活服务"},
            headers=h("a.unit_admin"),
        )
    )
    agreement = await _ok(
        await client.post(
            f"{API}/units/{a.unit.id}/agreements",
            json={
                "community_id": a.community.id,
                "signed_on": "2026-03-01",
                "term_months": 12,
                "commitments": [f"{PRIVATE_MARK}每季度义诊一次"],
            },
            headers=h("a.community_admin"),
        )
    )
    await _ok(
        await client.put(
            f"{API}/units/{a.unit.id}/assessments/2026",
            json={"community_id": a.community.id, "score": 92, "reasons": f"{PRIVATE_MARK}义诊按时开展"},
            headers=h("a.community_admin"),
        )
    )

    # a shift at the station, an activity with an attendee's ticket
    start = clock.now() + timedelta(hours=1)
    shift = await _ok(
        await client.post(
            f"{API}/stations/{station.id}/shifts",
            json={"starts_at": _iso(start), "ends_at": _iso(start + timedelta(hours=2)), "capacity": 3},
            headers=h("a.compound_staff"),
        )
    )
    act_start = clock.now() + timedelta(minutes=10)
    activity = await _ok(
        await client.post(
            f"{API}/activities",
            json={
                "org_id": a.compound.id,
                "title": f"{ALLIANCE_MARK}主题党日",
                "kind": "主题党日",
                "starts_at": _iso(act_start),
                "ends_at": _iso(act_start + timedelta(hours=2)),
                "location": "党群服务中心",
                "capacity": 5,
                "credit_minutes": 90,
            },
            headers=h("a.compound_staff"),
        )
    )
    begun = clock.now() - timedelta(minutes=30)
    started_activity = await _ok(
        await client.post(
            f"{API}/activities",
            json={
                "org_id": a.compound.id,
                "title": f"{ALLIANCE_MARK}义务理发",
                "kind": "志愿服务",
                "starts_at": _iso(begun),
                "ends_at": _iso(begun + timedelta(hours=2)),
                "location": "广场",
                "capacity": 5,
                "credit_minutes": 60,
            },
            headers=h("a.compound_staff"),
        )
    )
    closed_activity = await _ok(
        await client.post(
            f"{API}/activities",
            json={
                "org_id": a.compound.id,
                "title": f"{ALLIANCE_MARK}清扫楼道",
                "kind": "志愿服务",
                "starts_at": _iso(begun),
                "ends_at": _iso(begun + timedelta(hours=1)),
                "location": "楼道",
                "capacity": 5,
                "credit_minutes": 60,
            },
            headers=h("a.compound_staff"),
        )
    )
    await _ok(
        await client.post(f"{API}/activities/{closed_activity['id']}/close", headers=h("a.compound_staff"))
    )
    await _ok(await client.post(f"{API}/activities/{activity['id']}/signup", headers=h("attendee")))
    await _ok(await client.post(f"{API}/shifts/{shift['id']}/signup", headers=h("a.neighbour")))
    await _ok(
        await client.post(
            f"{API}/activities/{activity['id']}/attendance",
            json={"phone": p["attendee"].phone},
            headers=h("a.compound_staff"),
        )
    )
    ticket = await _ok(await client.get(f"{API}/activities/{activity['id']}/ticket", headers=h("attendee")))

    # a member's pending report, an approved member with feedback, a post; B's member is approved in B
    async def report(role, unit, org, note=None):
        body = {"employer_unit_id": unit.id, "org_id": org.id, "skills": ["宣讲"], "note": note}
        return (await _ok(await client.post(f"{API}/member-reports", json=body, headers=h(role))))["id"]

    rid = await report("a.party_member", a.unit, a.compound, f"{PRIVATE_MARK}周末有空")
    mid = await report("member", a.unit, a.compound)
    mid2 = await report("member2", a.unit, a.compound)
    for approve in (mid, mid2):
        await _ok(
            await client.post(
                f"{API}/member-reports/{approve}/review",
                json={"approve": True},
                headers=h("a.compound_staff"),
            )
        )
    bid = await report("b.party_member", b.unit, b.compound)
    await _ok(
        await client.post(
            f"{API}/member-reports/{bid}/review", json={"approve": True}, headers=h("b.compound_staff")
        )
    )
    post = await _ok(
        await client.post(
            f"{API}/orgs/{a.compound.id}/posts",
            json={"title": f"{ALLIANCE_MARK}政策宣传员", "duty": "宣传", "slots": 3},
            headers=h("a.compound_staff"),
        )
    )
    await _ok(await client.post(f"{API}/posts/{post['id']}/claim", headers=h("member")))
    await _ok(
        await client.post(
            f"{API}/posts/{post['id']}/logs",
            json={"minutes": 60, "note": f"{PRIVATE_MARK}巡防"},
            headers=h("member"),
        )
    )
    await _ok(
        await client.put(
            f"{API}/members/{p['member'].id}/feedback/2026",
            json={"rating": "qualified", "comment": f"{PRIVATE_MARK}按时到岗"},
            headers=h("a.compound_staff"),
        )
    )

    # grid events in every state the routes act on
    async def event():
        body = {"category": "环境卫生", "description": f"{PRIVATE_MARK}楼道堆放杂物", "org_id": a.grid.id}
        eid = (await _ok(await client.post(f"{API}/events", json=body, headers=h("poster"))))["id"]
        await _ok(
            await client.post(
                f"{API}/events/{eid}/photos",
                files={"photo": ("a.png", photo("PNG"), "image/png")},
                headers=h("poster"),
            )
        )
        return eid

    async def step(eid, action, body, role):
        await _ok(await client.post(f"{API}/events/{eid}/{action}", json=body, headers=h(role)))

    dispatch = {"handler_org_id": a.unit.id, "due_at": _iso(clock.now() + timedelta(days=2))}
    ev_reported = await event()
    ev_dispatched = await event()
    await step(ev_dispatched, "dispatch", dispatch, "a.compound_staff")
    ev_handled = await event()
    await step(ev_handled, "dispatch", dispatch, "a.compound_staff")
    await step(ev_handled, "handle", {"note": "已清理"}, "a.unit_admin")
    ev_checked = await event()
    await step(ev_checked, "dispatch", dispatch, "a.compound_staff")
    await step(ev_checked, "handle", {"note": "已清理"}, "a.unit_admin")
    await step(ev_checked, "check", {"ok": True}, "a.compound_staff")

    reward = await _ok(
        await client.post(
            f"{API}/timebank/rewards",
            json={"org_id": a.compound.id, "name": f"{ALLIANCE_MARK}大米", "price_minutes": 10, "stock": 9},
            headers=h("a.compound_staff"),
        )
    )
    await _ok(
        await client.post(
            f"{API}/users/{p['blocked'].id}/block", json={"reason": "冒用"}, headers=h("a.community_admin")
        )
    )

    # a resident's pickup code at the reward's shelf; a wish staff posted for the resident, done
    pickup = await _ok(
        await client.post(
            f"{API}/timebank/rewards/{reward['id']}/redeem",
            headers={**h("poster"), "Idempotency-Key": "authz-world"},
        )
    )
    w_done_for = (
        await _ok(
            await client.post(
                f"{API}/wishes",
                json={
                    "title": f"{ALLIANCE_MARK}代发心愿",
                    "category": "生活服务",
                    "org_id": a.compound.id,
                    "on_behalf_of_phone": p["poster"].phone,
                },
                headers=h("a.compound_staff"),
            )
        )
    )["id"]
    await publish(w_done_for)
    await _ok(await client.post(f"{API}/wishes/{w_done_for}/claim", headers=h("claimer")))
    await _ok(
        await client.post(
            f"{API}/wishes/{w_done_for}/done",
            json={"note": "修好了", "minutes_spent": 30},
            headers=h("claimer"),
        )
    )

    # a team with a member and someone asking to join
    team = await _ok(
        await client.post(
            f"{API}/teams",
            json={
                "name": f"{ALLIANCE_MARK}幸福志愿服务队",
                "kind": "volunteer",
                "org_id": a.compound.id,
                "leader_id": p["leader"].id,
            },
            headers=h("a.compound_staff"),
        )
    )
    await _ok(
        await client.post(
            f"{API}/teams/{team['id']}/invite", json={"phone": p["teammate"].phone}, headers=h("leader")
        )
    )
    await _ok(await client.post(f"{API}/teams/{team['id']}/join", headers=h("teammate")))
    await _ok(await client.post(f"{API}/teams/{team['id']}/join", headers=h("joiner")))

    # a member's demonstration post and service card; a service logged at the station
    demo_post = await _ok(
        await client.post(
            f"{API}/demonstration-posts",
            json={
                "title": f"{ALLIANCE_MARK}党员示范岗",
                "duty": "调解纠纷",
                "starts_on": clock.today().isoformat(),
                "user_id": p["member"].id,
            },
            headers=h("a.compound_staff"),
        )
    )
    card = await _ok(await client.get(f"{API}/members/{p['member'].id}/card", headers=h("member")))
    await _ok(
        await client.post(
            f"{API}/stations/{station.id}/services", json={"kind": "理发", "count": 2}, headers=h("a.master")
        )
    )

    # a meeting with its minutes, a photo, and an action item (with a photo) for the poster
    meeting_start = clock.now() + timedelta(hours=3)
    meeting = await _ok(
        await client.post(
            f"{API}/activities",
            json={
                "org_id": a.compound.id,
                "title": f"{ALLIANCE_MARK}议事会",
                "kind": "议事会",
                "starts_at": _iso(meeting_start),
                "ends_at": _iso(meeting_start + timedelta(hours=2)),
                "capacity": 30,
            },
            headers=h("a.compound_staff"),
        )
    )
    await _ok(
        await client.post(
            f"{API}/activities/{meeting['id']}/minutes",
            json={
                "text": f"{PRIVATE_MARK}讨论了停车难",
                "public": True,
                "resolutions": [{"text": f"{PRIVATE_MARK}划定临时停车位"}],
            },
            headers=h("a.compound_staff"),
        )
    )
    await _ok(
        await client.post(
            f"{API}/activities/{meeting['id']}/minutes/photos",
            files={"photo": ("a.png", photo("PNG"), "image/png")},
            headers=h("a.compound_staff"),
        )
    )
    action_item = await _ok(
        await client.post(
            f"{API}/activities/{meeting['id']}/action-items",
            json={
                "text": f"{PRIVATE_MARK}联系物业修复楼道灯",
                "due_on": (clock.today() + timedelta(days=3)).isoformat(),
                "owner_user_id": p["poster"].id,
            },
            headers=h("a.compound_staff"),
        )
    )
    await _ok(
        await client.post(
            f"{API}/action-items/{action_item['id']}/photos",
            files={"photo": ("a.png", photo("PNG"), "image/png")},
            headers=h("poster"),
        )
    )

    w = {
        "alliance": a.alliance.id,
        "community": a.community.id,
        "compound": a.compound.id,
        "grid": a.grid.id,
        "other_community": a.other_community.id,
        "unit": a.unit.id,
        "poster": p["poster"].id,
        "poster_phone": p["poster"].phone,
        "attendee_phone": p["attendee"].phone,
        "blocked": p["blocked"].id,
        "member": p["member"].id,
        "grid_staff_id": p["a.grid_staff"].id,
        "policy": policy,
        "w_sub": w_sub,
        "w_pub": w_pub,
        "w_claimed": w_claimed,
        "w_done": w_done,
        "w_confirmed": w_confirmed,
        "approved_report": mid,
        "zero": 0,
        "needs": "needs",
        "notification": notification,
        "resource": resource["id"],
        "station": station.id,
        "shift": shift["id"],
        "activity": activity["id"],
        "started_activity": started_activity["id"],
        "closed_activity": closed_activity["id"],
        "ticket": ticket["token"],
        "report": rid,
        "post": post["id"],
        "year": 2026,
        "quarter": 2,
        "ev_reported": ev_reported,
        "ev_dispatched": ev_dispatched,
        "ev_handled": ev_handled,
        "ev_checked": ev_checked,
        "reward": reward["id"],
        "pickup_code": pickup["pickup_code"],
        "w_done_for": w_done_for,
        "team": team["id"],
        "joiner": p["joiner"].id,
        "teammate": p["teammate"].id,
        "demo_post": demo_post["id"],
        "card_code": card["code"],
        "meeting": meeting["id"],
        "action_item": action_item["id"],
        "agreement": agreement["id"],
    }
    return w, people


async def _snapshot(session) -> dict[str, list[str]]:
    """Every row of every table, as text: a refused call must leave this unchanged."""
    out = {}
    conn = await session.connection()
    for table in SQLModel.metadata.sorted_tables:
        rows = (await conn.execute(sa_select(table))).all()
        out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


def _rows() -> list[tuple[str, S]]:
    out = []
    for route, row in ROUTES.items():
        for case in row if isinstance(row, list) else [row]:
            if isinstance(case, S):
                out.append((route, case))
    return out


def _value(spec, w):
    return spec(w) if callable(spec) else spec


async def test_outsiders_are_refused_and_change_nothing(client, session):
    w, people = await _world(client, session)
    tokens = {role: auth(user) for role, user in people.items()}  # before any rollback expires them
    problems = []
    before = await _snapshot(session)
    for route, case in _rows():
        method, template = route.split(" ", 1)
        params = {name: w[key] for name, key in case.path.items()}
        url = template.format(**params)
        body = _value(case.body, w)
        query = _value(case.query, w)
        for role in sorted(case.who):
            headers = dict(case.headers)
            if role != "anonymous":
                headers.update(tokens[role])
            kwargs: dict[str, Any] = {"headers": headers, "params": query}
            if case.files:
                kwargs["files"] = {"photo": ("a.png", photo("PNG"), "image/png")}
            elif body is not None:
                kwargs["json"] = body
            resp = await client.request(method, url, **kwargs)
            await session.rollback()  # as a request's own session would be: only commits stay
            status = resp.status_code
            refused = status == 401 if role == "anonymous" else status in (403, 404, *case.also)
            if case.hide and 200 <= status < 300:
                marks = [PRIVATE_MARK] + ([ALLIANCE_MARK] if role.startswith("b.") else [])
                seen = [m for m in marks if m in resp.text]
                if seen:
                    problems.append(f"{route} as {role}: {status} shows {seen}")
                continue
            if not refused:
                problems.append(f"{route} as {role}: {status} {resp.text[:160]}")
        after = await _snapshot(session)
        changed = [t for t in before if before[t] != after[t]]
        if changed:
            problems.append(f"{route}: outsiders changed tables {changed}")
        before = after

    # The positive control: the same call, as someone who may make it, succeeds; so each refusal above
    # was the permission check's, not a bad body's or a missing object's. Each is undone afterwards.
    for route, case in _rows():
        insider = _insider(case)
        if insider is None:
            continue
        method, template = route.split(" ", 1)
        url = template.format(**{name: w[key] for name, key in case.path.items()})
        kwargs = {"headers": {**case.headers, **tokens[insider]}, "params": _value(case.query, w)}
        if case.files:
            kwargs["files"] = {"photo": ("a.png", photo("PNG"), "image/png")}
        elif case.body is not None:
            kwargs["json"] = _value(case.body, w)
        await session.rollback()  # the session holds no savepoint of its own below ours
        await session.bind.exec_driver_sql("SAVEPOINT authz_undo")  # beneath the session's own savepoints
        resp = await client.request(method, url, **kwargs)
        await session.rollback()
        await session.bind.exec_driver_sql("ROLLBACK TO SAVEPOINT authz_undo")
        await session.bind.exec_driver_sql("RELEASE SAVEPOINT authz_undo")
        session.expire_all()
        if not 200 <= resp.status_code < 300:
            problems.append(f"{route} as the insider {insider}: {resp.status_code} {resp.text[:160]}")
    assert not problems, f"{len(problems)} holes:\n" + "\n".join(problems)
