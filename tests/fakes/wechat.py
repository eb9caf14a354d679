"""A fake WeChat API on loopback: web OAuth (`GET /sns/oauth2/access_token`), the server access token
(`GET /cgi-bin/token`) and subscribe messages (`POST /cgi-bin/message/subscribe/bizsend`).

    with FakeWeChat(app_id="wx-test", secret="s3cret") as wechat:
        code = wechat.issue_code("openid-1")     # what WeChat would append to the redirect
        ...  # point the app at wechat.base_url (EJIA_WECHAT_API_BASE / Settings.wechat_api_base)

A code works once and only with the right appid and secret; anything else gets WeChat's errcode.
"""

import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer


class FakeWeChat(LoopbackServer):
    name = "fake-wechat"

    def __init__(self, *, app_id: str = "wx-test-app", secret: str = "wx-test-secret"):
        self.app_id = app_id
        self.secret = secret
        self.codes: dict[str, str] = {}
        self.requests: list[dict] = []
        self.access_tokens: set[str] = set()
        self.subscribe_messages: list[dict] = []
        self.refusing: set[str] = set()  # openids that have not subscribed (WeChat answers 43101)

    def issue_code(self, openid: str) -> str:
        """A fresh single-use code that exchanges for `openid`."""
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = openid
        return code

    async def _access_token(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        self.requests.append(params)
        if params.get("appid") != self.app_id or params.get("secret") != self.secret:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        if params.get("grant_type") != "authorization_code":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        openid = self.codes.pop(params.get("code", ""), None)
        if openid is None:
            return JSONResponse({"errcode": 40029, "errmsg": "invalid code"})
        return JSONResponse(
            {
                "access_token": "ACCESS_" + secrets.token_hex(8),
                "expires_in": 7200,
                "refresh_token": "REFRESH_" + secrets.token_hex(8),
                "openid": openid,
                "scope": "snsapi_base",
                "is_snapshotuser": 0,
            }
        )

    # --- the Official Account's server API: access token and subscribe messages (订阅通知) ---

    async def _client_token(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        self.requests.append(params)
        if params.get("appid") != self.app_id or params.get("secret") != self.secret:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        if params.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        token = "TOKEN_" + secrets.token_hex(8)
        self.access_tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": 7200})

    async def _bizsend(self, request: Request) -> JSONResponse:
        if request.query_params.get("access_token") not in self.access_tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        if not body.get("touser") or not body.get("template_id") or not isinstance(body.get("data"), dict):
            return JSONResponse({"errcode": 47003, "errmsg": "argument invalid"})
        if body["touser"] in self.refusing:
            return JSONResponse({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
        self.subscribe_messages.append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": len(self.subscribe_messages)})

    def routes(self) -> list:
        return [
            Route("/sns/oauth2/access_token", self._access_token),
            Route("/cgi-bin/token", self._client_token),
            Route("/cgi-bin/message/subscribe/bizsend", self._bizsend, methods=["POST"]),
        ]
