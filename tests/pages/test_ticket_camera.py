"""The organiser checks a resident's ticket with the phone's camera (issue 14, item 4); the scan page
and the ticket check share one camera reader (web/static/camera.js)."""

import base64
import io
from datetime import timedelta

import pytest
import segno
from playwright.async_api import expect
from sqlmodel import select

from app import clock
from app.models.activities import Attendance
from app.services import qr
from tests.factories import make_activity, make_tree, make_user

pytestmark = pytest.mark.browser

# The camera is a canvas showing the ticket's QR code: getUserMedia answers with its stream.
FAKE_CAMERA = """(png) => {
  navigator.mediaDevices.getUserMedia = () => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement('canvas');
      c.width = 480; c.height = 480;
      const ctx = c.getContext('2d');
      const draw = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 480, 480); ctx.drawImage(img, 40, 40, 400, 400); };
      draw(); setInterval(draw, 100);
      resolve(c.captureStream(10));
    };
    img.src = png;
  });
}"""


async def test_the_organiser_scans_a_ticket_with_the_camera(page, page_db, login):
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, name="刘书记", home=tree.compound, role=(tree.community, "staff"))
        granny = await make_user(s, name="周奶奶", home=tree.compound)
        act = await make_activity(
            s, org=tree.compound, title="义诊", starts_in=-timedelta(minutes=5), signed_up=[granny]
        )
    out = io.BytesIO()
    segno.make(qr.ticket_token(act.id, granny.id), error="m").save(out, kind="png", scale=8, border=4)
    png = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    await login(page, staff)
    await page.goto(f"/activities/{act.id}")
    await page.evaluate(FAKE_CAMERA, png)
    await page.get_by_role("button", name="用摄像头扫入场码").tap()
    await expect(page.locator("#toast")).to_have_text("周奶奶 签到成功", timeout=15_000)
    await expect(page.get_by_role("button", name="用摄像头扫入场码")).to_be_visible()  # the camera stopped
    async with page_db.session(write=False) as s:
        attendance = (await s.exec(select(Attendance))).one()
        assert (attendance.user_id, attendance.method) == (granny.id, "ticket")


async def test_the_scan_page_reads_a_stations_code_from_the_camera(page, page_db, login):
    from app.models.stations import Station

    async with page_db.session() as s:
        tree = await make_tree(s)
        station = Station(org_id=tree.compound.id, name="幸福里红色驿站", lat=34.2867, lng=119.2390)
        s.add(station)
        await s.commit()
        rider = await make_user(s, name="沈骑手", home=tree.compound)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    out = io.BytesIO()
    segno.make(qr.scan_url(token), error="m").save(out, kind="png", scale=6, border=4)
    png = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    await login(page, rider)
    await page.goto("/scan")
    await page.evaluate(FAKE_CAMERA, png)
    await page.get_by_role("button", name="打开摄像头扫码").tap()
    await expect(page.locator("#result-title")).to_have_text("到站签到成功", timeout=15_000)
    await expect(page.get_by_role("button", name="打开摄像头扫码")).to_be_visible()
