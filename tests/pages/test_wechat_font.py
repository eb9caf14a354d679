"""Pages follow WeChat's font size (issue 14, item 2): on Android WeChat reports the person's size through
WeixinJSBridge's "menu:setfont" event; the page's text grows by it, and no page overflows the 375 px
screen. WeChat's bridge is faked: defined before any page script runs, as WeChat does."""

import pytest

from tests.pages.site import build_site

pytestmark = pytest.mark.browser

SCALE = 200  # the most app.js follows (it clamps to 80–200 %), where overflow would show first

# A bridge like WeChat's: `on` registers a handler; WeChat calls "menu:setfont" once the page listens
# (with the size set) and again whenever the person changes it. `__wxSetFont(percent)` plays the latter.
FAKE_BRIDGE = """
(() => {
  const handlers = {};
  window.WeixinJSBridge = {
    on(name, fn) { handlers[name] = fn; if (name === 'menu:setfont') setTimeout(() => fn({fontSize: 5, fontScale: SCALE}), 0); },
    invoke(name, args, cb) { if (cb) cb({err_msg: name + ':ok'}); },
  };
  window.__wxSetFont = (percent) => handlers['menu:setfont'] && handlers['menu:setfont']({fontSize: 7, fontScale: percent});
})();
"""

SIZES = """() => {
  const px = el => parseFloat(getComputedStyle(el).fontSize);
  const cell = document.querySelector('.weui-cell, .weui-btn, p, h1');
  return {root: px(document.documentElement), text: cell ? px(cell) : 0,
          overflow: document.documentElement.scrollWidth > window.innerWidth + 1};
}"""


async def _context(browser, server, *, scale: int | None):
    context = await browser.new_context(
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=server,
    )
    if scale is not None:
        await context.add_init_script(FAKE_BRIDGE.replace("SCALE", str(scale)))
    return context


async def _sizes(page, path: str) -> dict:
    resp = await page.goto(path)
    assert resp is not None and resp.status == 200, path
    await page.wait_for_function("() => document.readyState === 'complete'")
    await page.wait_for_timeout(50)  # the bridge answers after the page listens
    return await page.evaluate(SIZES)


async def test_text_grows_with_wechats_font_size_and_no_page_overflows(browser, server, page_db, login):
    site = await build_site(page_db, server)
    plain, large = await _context(browser, server, scale=None), await _context(browser, server, scale=SCALE)
    problems = []
    try:
        before, after = await plain.new_page(), await large.new_page()
        await login(before, site.staff)
        await login(after, site.staff)
        for path in site.pages:
            base, big = await _sizes(before, path), await _sizes(after, path)
            if big["root"] != base["root"] * SCALE / 100:
                problems.append(f"{path}: root {base['root']} px → {big['root']} px, not {SCALE}%")
            if base["text"] and big["text"] <= base["text"]:
                problems.append(f"{path}: text stays {base['text']} px")
            if big["overflow"]:
                problems.append(f"{path}: wider than 375 px at {SCALE}%")
        assert await after.evaluate("document.documentElement.dataset.wxFontScale") == str(SCALE)
    finally:
        await plain.close()
        await large.close()
    assert not problems, "\n".join(problems)


async def test_a_change_of_size_in_wechat_applies_at_once(browser, server, page_db, login):
    site = await build_site(page_db, server)
    context = await _context(browser, server, scale=100)
    try:
        page = await context.new_page()
        await login(page, site.staff)
        first = await _sizes(page, "/")
        assert first["root"] == 16
        await page.evaluate("window.__wxSetFont(200)")  # the person picks the largest size
        largest = await page.evaluate(SIZES)
        assert largest["root"] == 32
        assert not largest["overflow"]
        await page.evaluate("window.__wxSetFont(100)")
        assert (await page.evaluate(SIZES))["root"] == 16
    finally:
        await context.close()
