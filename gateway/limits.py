"""The one request parser: every path, query parameter and JSON body passes these limits first.

What a careless or hostile client can send that the models below cannot see: JSON nested deep enough
to exhaust the parser's stack, bodies far larger than any form, and control characters (NUL above
all: PostgreSQL behind FerretDB refuses to store U+0000) in ids, paths, query parameters and names.
Each is refused here as a 400 (not JSON, too deep) or 422 (well-formed but not acceptable)
problem+json, in zh-TW and English, before a service is called.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from flask import Flask, request

from shared.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed, field_error

MAX_JSON_BYTES = 1024 * 1024  # the largest form (a records import as JSON) is far below this
MAX_DEPTH = 32  # objects and lists inside each other; the deepest model nests 4
MAX_STRING = 100_000  # characters of one string in a body (long statements are a few thousand)
MAX_KEYS = 10_000  # members and items in a whole body
MAX_PARAM = 1_000  # characters of one path segment or query value
MAX_INT_PARAM = 1_000_000  # an integer path id (學年度, 學期)

# What the OpenAPI document states of every path and query parameter (the same limits as _check_url).
PARAMETER_SCHEMA = {"type": "string", "maxLength": MAX_PARAM, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}

# In free text a tab, line feed and carriage return are text; every other control character is not.
TEXT_WHITESPACE = frozenset("\t\n\r")


class MalformedJson(BadRequest):
    code = "malformed_json"
    title = "JSON 格式錯誤"
    title_en = "Malformed JSON"


class ParameterTooLong(BadRequest):
    code = "parameter_too_long"
    title = "網址或參數過長"
    title_en = "A path segment or parameter is too long"


class ControlCharacter(BadRequest):
    code = "control_character"
    title = "請求含有控制字元"
    title_en = "The request contains control characters"


def has_control(value: str, allow_whitespace: bool = False) -> bool:
    for ch in value:
        if unicodedata.category(ch) == "Cc" and not (allow_whitespace and ch in TEXT_WHITESPACE):
            return True
    return False


def _check_url() -> None:
    """Path and query: no control characters anywhere (they are ids, codes and names), bounded length."""
    if has_control(request.path):
        raise ControlCharacter("網址含有控制字元", "the path contains control characters")
    if any(len(part) > MAX_PARAM for part in request.path.split("/")):
        raise ParameterTooLong(f"網址片段最多 {MAX_PARAM} 個字", f"a path segment has at most {MAX_PARAM} characters")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 0 <= value <= MAX_INT_PARAM:  # a year, a term: stored as 64-bit integers at most
            raise ValidationFailed(
                f"參數 {name} 須為 0 到 {MAX_INT_PARAM} 的整數",
                f"{name} must be an integer from 0 to {MAX_INT_PARAM}",
                [field_error(name, f"須為 0 到 {MAX_INT_PARAM} 的整數", f"an integer from 0 to {MAX_INT_PARAM}", "int_parsing")],
            )
    for name, value in request.args.items(multi=True):
        if has_control(name) or has_control(value):
            raise ControlCharacter(
                f"參數 {name!r} 含有控制字元", f"the query parameter {name!r} contains control characters", [_param_error(name)]
            )
        if len(value) > MAX_PARAM or len(name) > MAX_PARAM:
            raise ParameterTooLong(
                f"參數 {name[:40]} 最多 {MAX_PARAM} 個字", f"the query parameter {name[:40]} has at most {MAX_PARAM} characters"
            )


def _param_error(name: str) -> dict[str, str]:
    return field_error(name, "不可含控制字元", "must not contain control characters", "control_character")


def install_request_limits(app: Flask) -> None:
    app.before_request(_check_url)


def read_json_body() -> Any:
    """The request's JSON body, parsed within the limits above (the endpoint then validates its model)."""
    if not request.is_json:
        raise UnsupportedMediaType("請以 JSON 格式送出", "send the body as application/json")
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"JSON 內容不可超過 {MAX_JSON_BYTES // 1024} KB", f"a JSON body may not exceed {MAX_JSON_BYTES} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"JSON 內容不可超過 {MAX_JSON_BYTES // 1024} KB", f"a JSON body may not exceed {MAX_JSON_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except RecursionError:
        raise MalformedJson(f"JSON 巢狀層數過多（最多 {MAX_DEPTH} 層）", f"the JSON nests deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError):
        raise MalformedJson("JSON 格式錯誤，無法解析", "the body is not valid JSON") from None
    check_json_value(data)
    return data


def check_json_value(data: Any) -> None:
    """Depth, size and text of a parsed body, walked without recursion (a deep body cannot overflow it)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    seen = 0
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise MalformedJson(f"JSON 巢狀層數過多（最多 {MAX_DEPTH} 層）", f"the JSON nests deeper than {MAX_DEPTH} levels")
            seen += len(value)
            if seen > MAX_KEYS:
                raise PayloadTooLarge(f"JSON 內容過多（最多 {MAX_KEYS} 個欄位或項目）", f"more than {MAX_KEYS} members and items")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and (has_control(key) or len(key) > 200):
                    raise ValidationFailed("欄位名稱不正確", "a member name is invalid", [_text_error(path, "control_character")])
                stack.append((item, depth + 1, path))
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                raise ValidationFailed(
                    "部分欄位不正確",
                    "some fields are invalid",
                    [field_error(where or "body", f"最多 {MAX_STRING} 個字", f"at most {MAX_STRING} characters", "string_too_long")],
                )
            if has_control(value, allow_whitespace=True):
                raise ValidationFailed("部分欄位不正確", "some fields are invalid", [_text_error(where or "body", "control_character")])


def _text_error(where: str, code: str) -> dict[str, str]:
    return field_error(where, "不可含控制字元（如 NUL）", "must not contain control characters (such as NUL)", code)
