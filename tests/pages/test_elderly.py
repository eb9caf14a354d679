"""长辈版 (MIIT 适老化, issue 14, item 2): in large-text mode every page's text is at least 18 px and every
primary action at least 60 px tall; in both modes no page overflows the 375 px screen and axe finds no
serious violation (colour contrast of at least 4.5:1 among them)."""

import pytest

from tests.pages.site import build_site

pytestmark = pytest.mark.browser

MIN_TEXT_PX = 18
MIN_ACTION_PX = 60

# Every visible element that holds text of its own; its computed size, and the primary buttons' heights.
MEASURE = """() => {
  const small = [], low = [];
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width || !r.height || cs.visibility === 'hidden' || el.closest('[hidden], .app-visually-hidden, svg')) continue;
    const px = parseFloat(cs.fontSize);
    if (px < MIN_TEXT) {
      const key = el.tagName.toLowerCase() + '.' + (el.className && el.className.baseVal === undefined ? el.className : '');
      if (!seen.has(key)) { seen.add(key); small.push(key + ' ' + px + 'px: ' + el.textContent.trim().slice(0, 12)); }
    }
  }
  for (const b of document.querySelectorAll('.weui-btn_primary')) {
    const r = b.getBoundingClientRect();
    if (r.height && r.height < MIN_ACTION) low.push(b.textContent.trim().slice(0, 10) + ' ' + Math.round(r.height) + 'px');
  }
  return {small, low, overflow: document.documentElement.scrollWidth > window.innerWidth + 1};
}""".replace("MIN_TEXT", str(MIN_TEXT_PX)).replace("MIN_ACTION", str(MIN_ACTION_PX))


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
async def test_every_page_in_both_modes(browser, server, page_db, login, axe_check, elderly):
    site = await build_site(page_db, server)
    if elderly:
        async with page_db.session() as s:
            from app.models.user import User

            staff = await s.get(User, site.staff.id)
            staff.elderly_mode = True
            await s.commit()
    context = await browser.new_context(
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=server,
    )
    problems = []
    try:
        page = await context.new_page()
        await login(page, site.staff)
        for path in site.pages:
            resp = await page.goto(path)
            assert resp is not None and resp.status == 200, path
            found = await page.evaluate(MEASURE)
            if found["overflow"]:
                problems.append(f"{path}: wider than 375 px")
            if elderly and (found["small"] or found["low"]):
                problems.append(f"{path}: text {found['small']} actions {found['low']}")
            try:  # contrast (≥ 4.5:1) and every other serious accessibility rule, in both modes
                await axe_check(page)
            except AssertionError as exc:
                problems.append(str(exc).split("\nassert")[0])
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
