"""Validation of request bodies with the same pydantic models that generate the OpenAPI document.

`parse()` turns pydantic's errors into our `ValidationFailed` with field errors in zh-TW and English.
"""

from __future__ import annotations

import calendar
import unicodedata
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from shared.errors import ValidationFailed, field_error

M = TypeVar("M", bound=BaseModel)

_ZH_MESSAGES: dict[str, str] = {
    "missing": "此欄位為必填",
    "string_too_short": "長度不足，至少 {min_length} 個字",
    "string_too_long": "長度超過上限，最多 {max_length} 個字",
    "string_pattern_mismatch": "格式不正確",
    "string_type": "須為文字",
    "int_type": "須為整數",
    "int_parsing": "須為整數",
    "bool_type": "須為是或否",
    "bool_parsing": "須為是或否",
    "list_type": "須為清單",
    "too_short": "項目不足，至少 {min_length} 項",
    "too_long": "項目過多，最多 {max_length} 項",
    "enum": "不在允許的選項中",
    "literal_error": "不在允許的選項中",
    "extra_forbidden": "不接受此欄位",
    "date_from_datetime_parsing": "日期格式不正確（民國年/月/日，例：115/11/20）",
    "date_parsing": "日期格式不正確（民國年/月/日，例：115/11/20）",
    "date_type": "日期格式不正確（民國年/月/日，例：115/11/20）",
    "datetime_parsing": "時間格式不正確",
    "greater_than_equal": "不可小於 {ge}",
    "less_than_equal": "不可大於 {le}",
    "model_type": "須為物件",
    "dict_type": "須為物件",
    "value_error": "{zh}",
}


class StrictModel(BaseModel):
    """Base of request models: unknown fields are refused, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Control, invisible format, surrogate and private-use characters: never part of a name or a title.
TEXT_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def nfc_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch) in TEXT_REFUSED_CATEGORIES for ch in value):
        raise ValueError("不可含控制字元|must not contain control characters")
    return value


# Human text (names, titles): NFC-normalised, no control or invisible format characters.
Text = Annotated[str, AfterValidator(nfc_text)]


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def _messages(err: dict[str, Any]) -> tuple[str, str]:
    ctx = err.get("ctx") or {}
    english = err.get("msg", "invalid")
    if err["type"] == "value_error":
        # Our validators raise ValueError("zh|en").
        raw = str(ctx.get("error", english))
        zh, _, en = raw.partition("|")
        return zh, en or zh
    kind = err["type"]
    if kind in ("too_short", "too_long") and isinstance(err.get("input"), str):
        kind = f"string_{kind}"  # a length constraint applied after a custom string validator
    template = _ZH_MESSAGES.get(kind, "格式不正確")
    try:
        zh = template.format(**ctx)
    except (KeyError, IndexError):
        zh = "格式不正確"
    return zh, english


def errors_from(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        zh, en = _messages(err)
        field = _location(tuple(err["loc"]))
        out.append(field_error(f"{prefix}{field}" if prefix else field, zh, en, err["type"]))
    return out


def parse(model: type[M], data: Any) -> M:
    """Validate `data` against `model` or raise ValidationFailed with per-field messages."""
    if not isinstance(data, dict):
        raise ValidationFailed("請求內容須為 JSON 物件", "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("部分欄位不正確", "some fields are invalid", errors_from(exc)) from None


def iso_date_pattern(first_year: int, last_year: int) -> str:
    """A pattern of the ISO dates (YYYY-MM-DD) that exist in these years: what a date field that checks
    its year's plausibility publishes (JSON Schema's `format: date` would take any year)."""
    years = range(first_year, last_year + 1)
    any_year = "|".join(str(y) for y in years)
    leap = "|".join(str(y) for y in years if calendar.isleap(y))
    days = "(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])"
    return f"^(?:(?:{any_year})-(?:{days})" + (f"|(?:{leap})-02-29" if leap else "") + ")$"
