"""The stations map (issue 14, item 9): with a tile source the stations are marked on a map, without one
the page is the list alone and loads no map code."""

import pytest
from playwright.async_api import expect

from app.models.stations import Station
from tests.factories import make_tree, make_user

pytestmark = pytest.mark.browser


async def _stations(page_db):
    async with page_db.session() as s:
        tree = await make_tree(s)
        s.add_all(
            [
                Station(org_id=tree.compound.id, name="幸福里红色驿站", lat=34.2867, lng=119.2390),
                Station(org_id=tree.compound.id, name="和平新村红色驿站", lat=34.2901, lng=119.2455),
            ]
        )
        await s.commit()
        return await make_user(s, name="沈骑手", home=tree.compound)


async def test_without_tiles_the_page_falls_back_to_the_list(page, page_db, login):
    rider = await _stations(page_db)
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url))
    await login(page, rider)
    await page.goto("/stations")
    await expect(page.locator(".weui-cell", has_text="幸福里红色驿站")).to_be_visible()
    await expect(page.locator("#station-map")).to_have_count(0)
    assert not any("leaflet" in url for url in loaded)


async def test_with_tiles_the_stations_are_marked_on_the_map(page, page_db, login, map_server):
    rider = await _stations(page_db)
    await login(page, rider)  # cookies belong to the host, so the map server's pages see it too
    await page.goto(map_server + "/stations")
    markers = page.locator("#station-map .leaflet-marker-icon")
    await expect(markers).to_have_count(2)
    await markers.first.click()
    await expect(page.locator(".leaflet-popup-content a")).to_have_count(1)
    await expect(page.locator(".weui-cell", has_text="和平新村红色驿站")).to_be_visible()  # the list stays
