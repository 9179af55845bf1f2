"""The effectiveness figures (§6) from what the owners answered, and the dashboard's charts. Plain Python, no I/O.

Inputs are the peers' RPC answers: records' entry timeliness and active students, certification's
turnaround per teacher and first upload per student, identity's staff names.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from services.working_group import charts
from services.working_group.domain import share
from shared.clock import to_taipei
from shared.roles import ROLE_NAMES_ZH, Role


def _by_name(names: dict[str, str]):
    return lambda item: names.get(item[0], item[0])


def units_and_people(timeliness: dict[str, Any], names: dict[str, str]) -> tuple[list[dict], list[dict], dict[str, dict[str, int]]]:
    """Per unit (the record types' writer roles) and per person: entries on time and late; per unit: entries per day."""
    units: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, int]] = defaultdict(lambda: {"on_time": 0, "late": 0})
    days: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for counts in timeliness["types"].values():
        for role in counts["writers"]:
            unit = units.setdefault(role, {"unit": role, "name": ROLE_NAMES_ZH[Role(role)], "on_time": 0, "late": 0, "types": []})
            unit["on_time"] += counts["on_time"]
            unit["late"] += counts["late"]
            unit["types"].append(counts["label"])
            for day, n in counts["days"].items():
                days[unit["name"]][day] += n
        for account, c in counts["people"].items():
            people[account]["on_time"] += c["on_time"]
            people[account]["late"] += c["late"]
    unit_rows = [{**u, "on_time_share": share(u["on_time"], u["on_time"] + u["late"])} for u in units.values()]
    people_rows = [{"account_id": a, "name": names.get(a, a), **c} for a, c in sorted(people.items(), key=_by_name(names))]
    return unit_rows, people_rows, {k: dict(v) for k, v in days.items()}


def teachers(turnaround: dict[str, dict[str, Any]], names: dict[str, str]) -> list[dict]:
    return [{"account_id": t, "name": names.get(t, t), **f} for t, f in sorted(turnaround.items(), key=_by_name(names))]


def classes(students: list[dict[str, Any]], first_uploads: dict[str, str]) -> tuple[list[dict], dict[str, dict[str, int]]]:
    """Per class: students, those with an upload (and who has none), re-checked; first uploads per Taipei day."""
    rows: dict[str, dict[str, Any]] = {}
    days: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in students:
        code = s["class_code"] or "?"
        row = rows.setdefault(code, {"class_code": code, "students": 0, "uploaded": 0, "rechecked": 0, "not_uploaded": []})
        row["students"] += 1
        row["rechecked"] += int(s["rechecked"])
        if s["student_id"] in first_uploads:
            row["uploaded"] += 1
            days[code][to_taipei(datetime.fromisoformat(first_uploads[s["student_id"]])).date().isoformat()] += 1
        else:
            row["not_uploaded"].append({"student_id": s["student_id"], "name": s["name"], "seat_no": s["seat_no"]})
    return [rows[k] for k in sorted(rows)], {k: dict(v) for k, v in days.items()}


def cumulative(days: dict[str, int], whole: int | None = None) -> list[tuple[date, int]]:
    """Running totals by day; as a percentage of `whole` when given."""
    running, points = 0, []
    for day in sorted(days):
        running += days[day]
        points.append((date.fromisoformat(day), round(100 * running / whole) if whole else running))
    return points


def dashboard_charts(
    figures: dict[str, Any], unit_days: dict[str, dict[str, int]], class_days: dict[str, dict[str, int]], today: date
) -> dict[str, str]:
    starts = date.fromisoformat(figures["starts_on"])
    deadline = date.fromisoformat(figures["internal_deadline"]) if figures["internal_deadline"] else None
    seen = [date.fromisoformat(d) for days in (*unit_days.values(), *class_days.values()) for d in days]
    ends = max([today, *([deadline] if deadline else []), *seen])
    per_unit = {name: cumulative(days) for name, days in unit_days.items()}
    per_class = {f"{c['class_code']} 班 %": cumulative(class_days.get(c["class_code"], {}), c["students"]) for c in figures["classes"]}
    class_rows = [(c["class_code"], c["uploaded"], c["students"]) for c in figures["classes"]]
    return {
        "timeline": charts.timeline("各單位登錄累計（至校內期限）", per_unit, starts, ends, deadline, today),
        "class_timeline": charts.timeline("各班已上傳學生比例 %（至校內期限）", per_class, starts, ends, deadline, today, peak=100),
        "classes": charts.share_bars("各班已上傳課程學習成果的學生", class_rows, "已上傳", "尚未上傳"),
        "units": charts.on_time_bars("各單位登錄是否於校內期限前完成", [(u["name"], u["on_time"], u["late"]) for u in figures["units"]]),
    }
