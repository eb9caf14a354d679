"""AppError and its kinds; rendered as RFC 9457 problem+json under /api and as a page elsewhere."""

from typing import Any


class AppError(Exception):
    """An error a person can be shown: a stable code, a Chinese title and detail, an HTTP status."""

    status: int = 400
    code: str = "bad_request"
    title: str = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.code = code or self.code
        self.title = title or self.title
        self.status = status or self.status
        self.detail = detail or self.title
        self.extra = extra or {}
        self.headers = headers
        super().__init__(f"{self.code}: {self.detail}")

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = {
            "type": f"/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "请求有误"


class Unauthorized(AppError):
    status, code, title = 401, "not_authenticated", "请先登录"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "没有权限"


class NotFound(AppError):
    status, code, title = 404, "not_found", "找不到该内容"


class Conflict(AppError):
    status, code, title = 409, "conflict", "操作冲突"


class InvalidState(Conflict):
    code, title = "invalid_state", "当前状态不允许此操作"


class ValidationFailed(AppError):
    status, code, title = 422, "validation_error", "填写的内容有误"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "提交的内容太大"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "服务暂时不可用"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **kw: Any) -> None:
        super().__init__(
            detail or "系统正在维护或繁忙，请稍后再试", headers={"Retry-After": str(retry_after)}, **kw
        )


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "操作太频繁，请稍后再试"
