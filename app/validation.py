"""Pydantic validation errors as the contract's `errors` list, each with a Chinese message."""

import re
from collections.abc import Sequence
from typing import Any

from pydantic_core import PydanticCustomError

MESSAGES = {
    "missing": "此项必填",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "请填写整数",
    "int_type": "请填写整数",
    "float_parsing": "请填写数字",
    "bool_parsing": "请填写是或否",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "less_than": "数值太大",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "date_parsing": "日期格式不正确",
    "json_invalid": "请求内容不是有效的 JSON",
    "list_type": "应为列表",
    "too_long": "条目太多",
    "too_short": "条目太少",
    "extra_forbidden": "不接受此项",
    "model_attributes_type": "格式不正确",
    "dict_type": "格式不正确",
    "string_type": "应为文字",
    "timezone_aware": "时间须带时区",
    "null_not_allowed": "此项不能为空",
    "date_out_of_range": "日期超出可用范围（1900—2100年）",
    "date_from_datetime_inexact": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_type": "日期格式不正确",
    "datetime_type": "时间格式不正确",
    "int_from_float": "请填写整数",
    "float_type": "请填写数字",
    "finite_number": "请填写有效的数字",
    "bool_type": "请填写是或否",
    "model_type": "格式不正确",
    "string_unicode": "文字编码不正确",
}

CJK = re.compile(r"[\u4e00-\u9fff]")

FIELD_MESSAGES = {
    "phone": "请输入正确的11位手机号",
    "to_phone": "请输入正确的11位手机号",
    "code": "请输入6位验证码",
}


def problem_errors(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Name each field (dotted, without the 'body'/'query' root) with a message a person understands."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        kind = err.get("type", "")
        message = FIELD_MESSAGES.get(loc[-1] if loc else "") if kind != "missing" else None
        if not message and kind == "value_error":  # a model's own check raised ValueError("<中文>"): show it
            reason = str(err.get("ctx", {}).get("error", ""))
            message = reason if CJK.search(reason) else None
        out.append({"field": field, "code": kind, "message": message or MESSAGES.get(kind, "填写有误")})
    return out


def not_null(value: Any) -> Any:
    """For a PATCH field that may be left out but not cleared: an explicit JSON null is a 422 naming the field."""
    if value is None:
        raise PydanticCustomError("null_not_allowed", "此项不能为空")
    return value
