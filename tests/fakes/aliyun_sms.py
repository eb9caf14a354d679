"""A fake Aliyun SMS endpoint on loopback: `GET /?Action=SendSms...` checked as dysmsapi checks it.

    with FakeAliyunSms(key_id="ak", secret="sk") as fake:
        ...  # EJIA_ALIYUN_SMS_ENDPOINT = fake.base_url
        fake.sent  # [{"phone": ..., "sign": ..., "template": ..., "params": {...}}]

The signature is recomputed here independently (RFC 3986 encoding of the sorted parameters,
"GET&%2F&" + encoded query, HMAC-SHA1 with "<secret>&", Base64) and a wrong one is refused with
Aliyun's `SignatureDoesNotMatch`.
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer

REQUIRED = {
    "AccessKeyId", "Action", "Format", "PhoneNumbers", "SignName", "SignatureMethod", "SignatureNonce",
    "SignatureVersion", "TemplateCode", "Timestamp", "Version",
}  # fmt: skip


def _enc(text: str) -> str:
    return quote(text.encode("utf-8"), safe="").replace("%7E", "~")


class FakeAliyunSms(LoopbackServer):
    name = "fake-aliyun-sms"

    def __init__(self, *, key_id: str = "ak-test", secret: str = "sk-test"):
        self.key_id = key_id
        self.secret = secret
        self.sent: list[dict] = []
        self.nonces: set[str] = set()

    def routes(self) -> list:
        return [Route("/", self._send)]

    async def _send(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        given = params.pop("Signature", "")
        missing = REQUIRED - params.keys()
        if missing or params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return JSONResponse({"Code": "MissingParameter", "Message": f"missing {sorted(missing)}"}, 400)
        if params["AccessKeyId"] != self.key_id:
            return JSONResponse(
                {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}, 404
            )
        query = "&".join(f"{_enc(k)}={_enc(params[k])}" for k in sorted(params))
        expected = base64.b64encode(
            hmac.new((self.secret + "&").encode(), ("GET&%2F&" + _enc(query)).encode(), hashlib.sha1).digest()
        ).decode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}, 400
            )
        if params["SignatureNonce"] in self.nonces:
            return JSONResponse({"Code": "SignatureNonceUsed", "Message": "nonce used"}, 400)
        self.nonces.add(params["SignatureNonce"])
        self.sent.append(
            {
                "phone": params["PhoneNumbers"],
                "sign": params["SignName"],
                "template": params["TemplateCode"],
                "params": json.loads(params.get("TemplateParam") or "{}"),
            }
        )
        return JSONResponse(
            {"Code": "OK", "Message": "OK", "BizId": f"biz{len(self.sent)}", "RequestId": "req"}
        )
