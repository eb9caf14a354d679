"""Page weight: no page may transfer more than 150 KB with an empty cache, or 30 KB on a second visit.

Bytes are what went over the wire (Chrome's encodedDataLength: compressed bodies plus headers), so
the test fails if compression or the year-long caching of hashed static URLs stops working.
"""

import pytest
from playwright.async_api import expect

from tests.pages.site import build_site

pytestmark = pytest.mark.browser

COLD_LIMIT = 150 * 1024
WARM_LIMIT = 30 * 1024


async def _transferred(page, path: str) -> int:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    sizes: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: sizes.append(int(e["encodedDataLength"])))
    resp = await page.goto(path)
    assert resp is not None and resp.status == 200, f"{path}: {resp and resp.status}"
    await page.wait_for_load_state("networkidle")
    await cdp.detach()
    return sum(sizes)


async def test_every_page_is_light_cold_and_warm(browser, server, page_db, login):
    site = await build_site(page_db, server)
    report = []
    for path in site.pages:
        context = await browser.new_context(
            viewport={"width": 375, "height": 667}, is_mobile=True, locale="zh-CN", base_url=server
        )
        try:
            page = await context.new_page()
            await login(page, site.staff)
            cold = await _transferred(page, path)
            warm = await _transferred(page, path)
        finally:
            await context.close()
        report.append((path, cold, warm))
    print("\n".join(f"{p:32} cold {c / 1024:6.1f} KB  warm {w / 1024:5.1f} KB" for p, c, w in report))
    heavy = [(p, c, w) for p, c, w in report if c > COLD_LIMIT or w > WARM_LIMIT]
    assert not heavy, f"pages over budget (path, cold, warm bytes): {heavy}"


async def test_api_docs_render_with_no_internet(page, server):
    """/docs uses only our own files: every request off this server is refused, and it still renders."""
    offsite: list[str] = []

    async def only_ours(route):
        if route.request.url.startswith(server):
            await route.continue_()
        else:
            offsite.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_ours)
    await page.goto("/docs", timeout=60_000)  # the first request compresses the 1.7 MB bundle
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "党建e家 API", timeout=30_000
    )  # a big spec on a busy machine
    assert offsite == []
