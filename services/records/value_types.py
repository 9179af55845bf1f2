"""Records' value types (dates, codes, scores, names): one definition for validation, imports and OpenAPI."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    WithJsonSchema,
)
from pydantic_core import core_schema

from services.records import rules
from shared import national_id
from shared.clock import utcnow
from shared.validation import StrictModel, Text, iso_date_pattern

# --- value types -------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def _to_date(value: Any) -> Any:
    """ISO / yyyy/mm/dd (Gregorian, 4-digit year), ROC 7 digits (1130915) or ROC 113/9/15 (2-3 digit year)."""
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if re.fullmatch(r"\d{7}", text):
            return date(int(text[:3]) + 1911, int(text[3:5]), int(text[5:]))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        match = _DATE.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            if len(match.group(1)) <= 3:
                year += 1911  # an ROC year has at most 3 digits
            return date(year, month, day)
    except ValueError:
        raise ValueError("日期不存在|no such date") from None
    raise ValueError("日期格式不正確（西元 2024-09-15 或民國 1130915、113/09/15）|use 2024-09-15 or the ROC 1130915")


PLAUSIBLE_YEARS = (1990, 2100)
BIRTH_AGES = (10, 40)  # a senior high student's birth year lies this many years back


def _plausible(day: date) -> date:
    if day.year < PLAUSIBLE_YEARS[0] or day.year > PLAUSIBLE_YEARS[1]:
        raise ValueError(
            f"日期 {day.isoformat()} 不合理，可能混用民國年與西元年（西元年須 4 碼，民國年 2 至 3 碼）|"
            f"{day.isoformat()} is implausible: ROC and Gregorian years mixed up?"
        )
    return day


def _plausible_birth(day: date) -> date:
    today = utcnow().date()
    if not (today.year - BIRTH_AGES[1] <= day.year <= today.year - BIRTH_AGES[0]):
        raise ValueError(
            f"出生日期 {day.isoformat()} 不合理，可能混用民國年與西元年|birth date {day.isoformat()} is implausible: ROC/Gregorian mix-up?"
        )
    return day


def _date_schema(first_year: int, last_year: int) -> WithJsonSchema:
    # The published form is the ISO one within the plausible years; the ROC forms are accepted as well.
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": iso_date_pattern(first_year, last_year),
            "description": f"YYYY-MM-DD, {first_year}-{last_year} (民國 1130915 or 113/09/15 accepted as well)",
        },
        mode="validation",
    )


SchoolDate = Annotated[date, BeforeValidator(_to_date), AfterValidator(_plausible), _date_schema(*PLAUSIBLE_YEARS)]
_THIS_YEAR = utcnow().year
BirthDate = Annotated[
    date,
    BeforeValidator(_to_date),
    AfterValidator(_plausible_birth),
    _date_schema(_THIS_YEAR - BIRTH_AGES[1], _THIS_YEAR - BIRTH_AGES[0]),
]


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"是", "y", "yes", "true", "1", "及格", "v"}:
            return True
        if text in {"否", "n", "no", "false", "0", "不及格", ""}:
            return False
    return value


YesNo = Annotated[bool, BeforeValidator(_to_bool)]


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def decimal_places(places: int) -> BeforeValidator:
    """A JSON number arrives as a binary float, and a browser's sum sends 19.9 as 19.900000000000002.
    Within a billionth of a number with the declared places it is that number; further off it stays
    as sent and is refused for its places."""

    def snap(value: Any) -> Any:
        if isinstance(value, float) and math.isfinite(value):
            rounded = round(value, places)
            if rounded != value and abs(value - rounded) < 1e-9:
                return Decimal(repr(rounded))
        return value

    return BeforeValidator(snap)


def _national_id(value: str) -> str:
    try:
        national_id.classify(value)
    except national_id.InvalidNationalId as exc:
        raise ValueError(str(exc)) from None
    return national_id.normalise(value)


def _course_code(value: str) -> str:
    value = value.strip().upper()
    if len(value) != rules.COURSE_CODE_LENGTH:
        raise ValueError(
            f"課程代碼須為 {rules.COURSE_CODE_LENGTH} 碼（目前 {len(value)} 碼）|"
            f"a course code has {rules.COURSE_CODE_LENGTH} characters, not {len(value)}"
        )
    if any(ch not in rules.COURSE_CODE_CHARSET for ch in value):
        raise ValueError("課程代碼只能含英文大寫字母與數字|a course code holds only A-Z and 0-9")
    return value


class _OneOf:
    """A code from a fixed list: checked with our zh-TW message, and published as the schema's enum."""

    def __init__(self, options: Any, label: str) -> None:
        self.options, self.label = options, label

    def _check(self, value: str) -> str:
        if value not in self.options:
            raise ValueError(f"{self.label}不在允許的選項中（{'、'.join(self.options)}）|unknown {self.label}: {value}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(schema), "enum": list(self.options)}


def _in(options: Any, label: str) -> Any:
    return _OneOf(options, label)


def _blank_default(default: str):
    """An empty import cell means the default (a column left blank for most rows)."""

    def fill(value: Any) -> Any:
        return default if value is None or (isinstance(value, str) and not value.strip()) else value

    return fill


def _gender(value: Any) -> Any:
    return {"男": "1", "女": "2", "M": "1", "F": "2", "m": "1", "f": "2"}.get(value, value) if isinstance(value, str) else value


def _summary(value: str) -> str:
    if len(value) > rules.SUMMARY_MAX_CHARS:  # characters, not bytes
        raise ValueError(
            f"簡述最多 {rules.SUMMARY_MAX_CHARS} 個字（目前 {len(value)} 個字）|"
            f"at most {rules.SUMMARY_MAX_CHARS} characters ({len(value)} given)"
        )
    return value


# No spaces, quotes or angle brackets, and no control characters (the request parser refuses them anyway).
VIDEO_URL = r"^https?://[^\s<>\"\u0000-\u001f\u007f-\u009f]{3,500}$"


def _url(value: str) -> str:
    if not re.fullmatch(VIDEO_URL, value):
        raise ValueError("影音連結須為 http(s) 網址|the video link must be an http(s) URL")
    return value


AcademicYear = Annotated[int, Field(ge=100, le=200, description="學年度 (ROC), e.g. 113")]
Term = Annotated[int, Field(ge=1, le=2, description="學期 1 or 2")]
StudentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,20}$", description="學號 (the school's student number)")]
AccountId = Annotated[str, Field(min_length=1, max_length=64)]
ClassCode = Annotated[str, Field(pattern=r"^[1-3][0-9]{2}$", description="班級代碼: 年級 + 班序, e.g. 101")]
_CODE_CHARS = rules.COURSE_CODE_CHARSET + rules.COURSE_CODE_CHARSET.lower()  # lower case is upper-cased
CourseCode = Annotated[
    str,
    AfterValidator(_course_code),
    Field(description="23-character 課程代碼", json_schema_extra={"pattern": f"^[{_CODE_CHARS}]{{{rules.COURSE_CODE_LENGTH}}}$"}),
]
ShortText = Annotated[Text, Field(min_length=1, max_length=100)]
LongText = Annotated[Text, Field(max_length=2000)]
Summary = Annotated[Text, AfterValidator(_summary), Field(json_schema_extra={"maxLength": rules.SUMMARY_MAX_CHARS})]
Score = Annotated[Decimal, Field(ge=rules.SCORE_MIN, le=rules.SCORE_MAX, max_digits=5, decimal_places=2), decimal_places(2)]
OptionalScore = Annotated[Score | None, BeforeValidator(_blank_none)]
Hours = Annotated[Decimal, Field(ge=0, le=2000, max_digits=6, decimal_places=1), decimal_places(1)]
VideoUrl = Annotated[str, AfterValidator(_url), Field(json_schema_extra={"pattern": VIDEO_URL})]


class SemesterKey(StrictModel):
    year: AcademicYear
    term: Term
