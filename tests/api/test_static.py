"""Static files: content-hashed URLs cached for a year, compressed bodies, revalidation, no strays."""

import pytest

from app.templating import assets

CSS = "vendor/weui/weui.min.css"


async def test_hashed_url_is_compressed_and_cached_for_a_year(client):
    url = assets.url(CSS)
    assert (
        url.startswith("/static/vendor/weui/weui.min.") and url.endswith(".css") and url != "/static/" + CSS
    )
    raw = assets.files[CSS].path.read_bytes()

    resp = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["vary"] == "accept-encoding"
    assert resp.headers["content-type"] == "text/css; charset=utf-8"
    assert resp.content == raw  # httpx decodes gzip
    assert int(resp.headers["content-length"]) < len(raw) / 5

    br = await client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["content-encoding"] == "br"
    assert br.content == raw  # httpx decodes brotli when the brotli package is installed
    assert int(br.headers["content-length"]) < int(resp.headers["content-length"])

    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == raw


async def test_plain_url_revalidates_by_etag(client):
    resp = await client.get("/static/app.css")
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-cache"
    again = await client.get("/static/app.css", headers={"If-None-Match": resp.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_png_is_not_recompressed(client):
    resp = await client.get(
        assets.url("vendor/swagger-ui/favicon-32x32.png"), headers={"Accept-Encoding": "br, gzip"}
    )
    assert resp.status_code == 200
    assert "content-encoding" not in resp.headers
    assert resp.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    "path", ["/static/nope.css", "/static/../app/main.py", "/static/app.000000000000.css"]
)
async def test_unknown_static_path_is_the_sites_404(client, path):
    resp = await client.get(path)
    assert resp.status_code == 404
    assert "找不到该内容" in resp.text


async def test_static_refuses_writes(client):
    resp = await client.post("/static/app.css")
    assert resp.status_code == 405
    assert "不支持该请求方式" in resp.text


async def test_pages_link_the_hashed_urls(client, session):
    resp = await client.get("/login")
    assert assets.url("app.css") in resp.text
    assert assets.url("vendor/weui/weui.min.css") in resp.text
    assert 'href="/static/app.css"' not in resp.text


async def test_docs_work_offline_from_vendored_swagger_ui(client):
    resp = await client.get("/docs")
    assert resp.status_code == 200
    assert "cdn.jsdelivr.net" not in resp.text
    assert assets.url("vendor/swagger-ui/swagger-ui-bundle.js") in resp.text
    js = await client.get(assets.url("vendor/swagger-ui/swagger-ui-bundle.js"))
    assert js.status_code == 200
    assert "SwaggerUIBundle" in js.text
