"""Checks across fields of one record that the body model alone cannot make: a date must fall inside its
semester, a 及格 must agree with the score. Each problem names the field (the form shows it beside the
field; an import report names the column) with a zh-TW message saying what would be right."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.records import rules
from services.records.division import RecordType

# Record types whose date says when something happened during the semester (a 課程諮詢 of 115-1 is in 115-1).
_DATES_IN_TERM: dict[str, tuple[str, ...]] = {"counselling": ("date",)}

Problem = tuple[str, str, str, str]  # field, message (zh-TW), message (English), code


def _roc(day: date) -> str:
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def problems(type_: RecordType, content: dict[str, Any], semester: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    starts, ends = date.fromisoformat(semester["starts_on"]), date.fromisoformat(semester["ends_on"])
    for name in _DATES_IN_TERM.get(type_.key, ()):
        value = content.get(name)
        day = date.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(day, date) and not starts <= day <= ends:
            found.append(
                (
                    name,
                    f"日期須在 {content['year']} 學年度第 {content['term']} 學期內（{_roc(starts)}～{_roc(ends)}）",
                    "the date is outside the semester",
                    "outside_semester",
                )
            )
    if type_.key == "grades":
        found += _grade_problems(content)
    return found


def _grade_problems(content: dict[str, Any]) -> list[Problem]:
    """及格 contradicting the score is an entry slip, unless the 質性文字描述 says why (e.g. 扣考)."""
    if (content.get("description") or "").strip():
        return []
    out: list[Problem] = []
    for score_field, passed_field in (("score", "passed"), ("makeup_score", "makeup_passed")):
        score, passed = content.get(score_field), content.get(passed_field)
        if score is None or passed is None:
            continue
        expected = float(score) >= rules.PASS_MARK
        if bool(passed) != expected:
            word = "及格" if expected else "不及格"
            out.append(
                (
                    passed_field,
                    f"成績 {score} 分應為{word}（及格標準 {rules.PASS_MARK} 分）；若另有原因（如扣考），請於質性文字描述說明",
                    "pass/fail contradicts the score",
                    "inconsistent_pass",
                )
            )
    return out
