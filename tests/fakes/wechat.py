"""A fake WeChat API on loopback: `GET /sns/oauth2/access_token` as the Official Account web OAuth speaks it.

    with FakeWeChat(app_id="wx-test", secret="s3cret") as wechat:
        code = wechat.issue_code("openid-1")     # what WeChat would append to the redirect
        ...  # point the app at wechat.base_url (EJIA_WECHAT_API_BASE / Settings.wechat_api_base)

A code works once and only with the right appid and secret; anything else gets WeChat's errcode.
"""

import secrets
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class FakeWeChat:
    def __init__(self, *, app_id: str = "wx-test-app", secret: str = "wx-test-secret"):
        self.app_id = app_id
        self.secret = secret
        self.codes: dict[str, str] = {}
        self.requests: list[dict] = []
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

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

    def __enter__(self) -> "FakeWeChat":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = Starlette(routes=[Route("/sns/oauth2/access_token", self._access_token)])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-wechat", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake WeChat server did not start")
            time.sleep(0.02)
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
