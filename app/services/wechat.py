"""WeChat web OAuth (snsapi_base): the authorize redirect and the code-for-openid exchange."""

from typing import Protocol
from urllib.parse import urlencode

import httpx

from app.config import Settings
from app.errors import BadRequest, ServiceUnavailable


class WeChatAuthFailed(BadRequest):
    code, title = "wechat_auth_failed", "微信授权失败"


def require_configured(settings: Settings) -> None:
    """503 wechat_unavailable when no WeChat app is configured (rather than an `appid=` WeChat refuses)."""
    if not configured(settings):
        raise ServiceUnavailable(
            "本站未开通微信登录，请使用手机号登录", code="wechat_unavailable", title="微信登录不可用"
        )


def configured(settings: Settings) -> bool:
    """Whether a WeChat Official Account app is set up (both its id and its secret)."""
    return bool(settings.wechat_app_id and settings.wechat_app_secret)


class OAuthProvider(Protocol):
    def authorize_url(self, *, redirect_uri: str, state: str) -> str: ...

    async def openid_for_code(self, code: str) -> str: ...


class WeChatOAuth:
    """The official Official-Account web authorisation, spoken to through one httpx client."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self.settings = settings
        self.http = http

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "appid": self.settings.wechat_app_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
            }
        )
        return f"{self.settings.wechat_open_base}/connect/oauth2/authorize?{query}#wechat_redirect"

    async def openid_for_code(self, code: str) -> str:
        """Exchange the single-use `code` at sns/oauth2/access_token; the openid, or WeChatAuthFailed."""
        try:
            resp = await self.http.get(
                f"{self.settings.wechat_api_base}/sns/oauth2/access_token",
                params={
                    "appid": self.settings.wechat_app_id,
                    "secret": self.settings.wechat_app_secret,
                    "code": code,
                    "grant_type": "authorization_code",
                },
                timeout=10,
            )
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeChatAuthFailed("暂时无法连接微信，请稍后重试或使用手机号登录") from exc
        openid = data.get("openid") if isinstance(data, dict) else None
        if not openid:
            raise WeChatAuthFailed("微信授权已失效，请重新进入")
        return openid
