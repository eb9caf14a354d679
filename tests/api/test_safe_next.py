"""Where a sign-in may send the person afterwards: only a path on our own site (open-redirect guard)."""

import pytest

from app.security import safe_next


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",  # `/%09/evil.example` once decoded: browsers drop the tab and go off-site
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/./\t/evil.example",
        "/.//evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
        None,
    ],
)
def test_an_offsite_or_odd_next_becomes_home(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize(
    "target", ["/", "/wishes?mine=true", "/wishes/3#history", "/admin/stats?from=2026-01-01"]
)
def test_a_path_on_our_site_is_kept(target):
    assert safe_next(target) == target


async def test_login_page_drops_a_tab_smuggled_next(client):
    resp = await client.get("/login?next=/%09/evil.example")
    assert resp.status_code == 200
    assert 'data-next="/"' in resp.text


async def test_wechat_authorize_keeps_only_a_safe_next(client, monkeypatch):
    from app.config import get_settings
    from app.routers.auth import OAUTH_COOKIE
    from app.security import read_payload

    monkeypatch.setattr(get_settings(), "wechat_app_id", "wx-next")
    monkeypatch.setattr(get_settings(), "wechat_app_secret", "wx-next-secret")
    resp = await client.get("/api/v1/auth/wechat/authorize?next=/%09/evil.example", follow_redirects=False)
    saved = read_payload(get_settings(), "wechat-state", resp.cookies[OAUTH_COOKIE], max_age=600)
    assert saved["next"] == "/"
