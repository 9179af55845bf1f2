"""The working group's rules (seed regulation §3, §5, §6) as plain Python: seats, meetings, trainings, figures.

§3: members by position, the principal convenes and chairs, at least one meeting per semester.
§5: student training, teacher workshops, parent briefings, each at least once per academic year.
§6: the executive secretary proposes commendations from the figures; the group decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from shared.errors import field_error


class Position(StrEnum):
    PRINCIPAL = "principal"  # 校長 (召集人)
    ACADEMIC_DIRECTOR = "academic_director"  # 教務主任 (執行秘書)
    GUIDANCE_DIRECTOR = "guidance_director"
    STUDENT_AFFAIRS_DIRECTOR = "student_affairs_director"
    CONTINUING_EDUCATION_DIRECTOR = "continuing_education_director"
    REGISTRATION_HEAD = "registration_head"
    INSTRUCTION_HEAD = "instruction_head"
    ACTIVITIES_HEAD = "activities_head"
    INTERNSHIP_HEAD = "internship_head"
    EQUIPMENT_HEAD = "equipment_head"
    COUNSELOR_REPRESENTATIVE = "counselor_representative"
    SUBJECT_CHAIR = "subject_chair"  # 各科教研會召集人: one per subject
    PARENT_REPRESENTATIVE = "parent_representative"
    STUDENT_REPRESENTATIVE = "student_representative"


POSITION_NAMES_ZH: dict[Position, str] = {
    Position.PRINCIPAL: "校長（召集人）",
    Position.ACADEMIC_DIRECTOR: "教務主任（執行秘書）",
    Position.GUIDANCE_DIRECTOR: "輔導主任",
    Position.STUDENT_AFFAIRS_DIRECTOR: "學務主任",
    Position.CONTINUING_EDUCATION_DIRECTOR: "進修部主任",
    Position.REGISTRATION_HEAD: "註冊組長",
    Position.INSTRUCTION_HEAD: "教學組長",
    Position.ACTIVITIES_HEAD: "訓育組長",
    Position.INTERNSHIP_HEAD: "實習組長",
    Position.EQUIPMENT_HEAD: "設備組長",
    Position.COUNSELOR_REPRESENTATIVE: "課諮教師代表",
    Position.SUBJECT_CHAIR: "教研會召集人",
    Position.PARENT_REPRESENTATIVE: "家長代表",
    Position.STUDENT_REPRESENTATIVE: "學生代表",
}

CONVENER = Position.PRINCIPAL
SECRETARY = Position.ACADEMIC_DIRECTOR


class TrainingKind(StrEnum):
    STUDENT_TRAINING = "student_training"  # 學生訓練: 輔導室 with 教務處
    TEACHER_WORKSHOP = "teacher_workshop"  # 教師研習: 教務處
    PARENT_BRIEFING = "parent_briefing"  # 親師說明: 教務處 with 學務處


TRAINING_NAMES_ZH: dict[TrainingKind, str] = {
    TrainingKind.STUDENT_TRAINING: "學生訓練",
    TrainingKind.TEACHER_WORKSHOP: "教師研習",
    TrainingKind.PARENT_BRIEFING: "親師說明",
}
TRAINING_ORGANISERS_ZH: dict[TrainingKind, str] = {
    TrainingKind.STUDENT_TRAINING: "輔導室偕同教務處",
    TrainingKind.TEACHER_WORKSHOP: "教務處",
    TrainingKind.PARENT_BRIEFING: "教務處偕同學務處",
}


# --- members -----------------------------------------------------------------------------------


def seat_of(member: dict[str, Any]) -> tuple[str, str]:
    """A seat is a position, and for subject chairs also the subject: each seat holds one person at a time."""
    return member["position"], member.get("subject") or ""


def serves_on(member: dict[str, Any], day: date) -> bool:
    starts = date.fromisoformat(str(member["term_starts"]))
    ends = member.get("term_ends")
    return starts <= day and (ends is None or day <= date.fromisoformat(str(ends)))


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    far = "9999-12-31"
    return str(a["term_starts"]) <= str(b.get("term_ends") or far) and str(b["term_starts"]) <= str(a.get("term_ends") or far)


def seat_conflict(candidate: dict[str, Any], members: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The member already holding the candidate's seat during an overlapping term, if any."""
    for member in members:
        if member.get("_id") != candidate.get("_id") and seat_of(member) == seat_of(candidate) and _overlap(member, candidate):
            return member
    return None


# --- meetings ----------------------------------------------------------------------------------


def meeting_errors(
    request: dict[str, Any], semester: dict[str, Any] | None, members: dict[str, dict[str, Any]], attachments: dict[str, dict[str, Any]]
) -> list[dict[str, str]]:
    """Field errors of a meeting record: its date in its semester, the convener in the chair, attendees serving members."""
    errors: list[dict[str, str]] = []
    day = request["held_on"]
    if semester is None:
        errors.append(field_error("term", "註冊組尚未建立此學期", "the school calendar has no such semester", "unknown_semester"))
    elif not date.fromisoformat(semester["starts_on"]) <= day <= date.fromisoformat(semester["ends_on"]):
        errors.append(
            field_error(
                "held_on",
                f"會議日期須在學期期間（{semester['starts_on']} 至 {semester['ends_on']}）內",
                f"the meeting date must fall within the semester ({semester['starts_on']} to {semester['ends_on']})",
                "outside_semester",
            )
        )
    chair = members.get(request["chair_id"])
    if chair is None:
        errors.append(field_error("chair_id", "找不到此工作小組成員", "no such working group member", "unknown_member"))
    elif chair["position"] != CONVENER or not serves_on(chair, day):
        errors.append(
            field_error("chair_id", "會議須由召集人（校長）主持", "the convener (the principal) chairs the meeting", "not_convener")
        )
    for index, member_id in enumerate(request["attendee_ids"]):
        member = members.get(member_id)
        if member is None:
            errors.append(field_error(f"attendee_ids.{index}", "找不到此工作小組成員", "no such working group member", "unknown_member"))
        elif not serves_on(member, day):
            errors.append(
                field_error(f"attendee_ids.{index}", "此人於會議當日不是工作小組成員", "not a member on the meeting date", "not_member")
            )
    if request["chair_id"] not in request["attendee_ids"] and chair is not None:
        errors.append(field_error("attendee_ids", "出席名單須包含主持人", "the chair must be among the attendees", "chair_absent"))
    for index, evidence_id in enumerate(request.get("attachment_ids", [])):
        item = attachments.get(evidence_id)
        if item is None:
            errors.append(field_error(f"attachment_ids.{index}", "找不到此附件", "no such attachment", "unknown_evidence"))
        elif item.get("state") not in ("stored", "locked"):
            errors.append(field_error(f"attachment_ids.{index}", "附件尚未上傳完成", "the upload is not complete", "incomplete_evidence"))
    return errors


def terms_without_meeting(semesters: list[dict[str, Any]], meetings: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Semesters that have begun (up to today) and have no meeting recorded: §3(2) needs one each semester."""
    held = {(m["year"], m["term"]) for m in meetings}
    return [s for s in semesters if date.fromisoformat(s["starts_on"]) <= today and (int(s["year"]), int(s["term"])) not in held]


# --- trainings ---------------------------------------------------------------------------------


def year_span(semesters: list[dict[str, Any]]) -> tuple[date, date] | None:
    """First and last day of an academic year from its semesters in the calendar."""
    if not semesters:
        return None
    return min(date.fromisoformat(s["starts_on"]) for s in semesters), max(date.fromisoformat(s["ends_on"]) for s in semesters)


def date_in_year_error(field: str, day: date | None, span: tuple[date, date] | None) -> dict[str, str] | None:
    if day is None:
        return None
    if span is None:
        return field_error("year", "註冊組尚未建立此學年度的學期", "the school calendar has no semester in that year", "unknown_year")
    if not span[0] <= day <= span[1]:
        return field_error(
            field,
            f"日期須在學年度期間（{span[0]} 至 {span[1]}）內",
            f"the date must fall within the academic year ({span[0]} to {span[1]})",
            "outside_year",
        )
    return None


def kinds_not_held(trainings: list[dict[str, Any]]) -> list[TrainingKind]:
    """§5: each kind at least once per academic year; planned sessions do not count until held."""
    held = {t["kind"] for t in trainings if t.get("held_on")}
    return [kind for kind in TrainingKind if kind.value not in held]


def not_attended(people: list[dict[str, Any]], key: str, trainings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The people (students or teachers) found in no held session's attendance this year."""
    seen: set[str] = set()
    for training in trainings:
        if training.get("held_on"):
            seen.update(training.get("attendee_ids", []))
    return [p for p in people if p[key] not in seen]


# --- effectiveness and commendations (§6) -------------------------------------------------------

# A person or unit is proposed when at least this share of their entries were on time and they entered
# at least MIN_ENTRIES; a teacher when their median certification wait is within MAX_MEDIAN_HOURS and none waits.
ON_TIME_SHARE = 1.0
MIN_ENTRIES = 1
MAX_MEDIAN_HOURS = 72.0


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# How a commendation candidate is named on the export and the printed list.


def propose(units: list[dict[str, Any]], people: list[dict[str, Any]], teachers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidates the executive secretary puts to the group, each with the figure that earns it."""
    out: list[dict[str, Any]] = []
    for unit in units:
        total = unit["on_time"] + unit["late"]
        if total >= MIN_ENTRIES and share(unit["on_time"], total) >= ON_TIME_SHARE:
            out.append(
                {
                    "key": f"unit:{unit['unit']}",
                    "kind": "unit",
                    "name": unit["name"],
                    "reason": f"{total} 筆資料全數於校內期限前登錄",
                    "reason_en": f"all {total} entries before the internal deadline",
                }
            )
    for person in people:
        total = person["on_time"] + person["late"]
        if total >= MIN_ENTRIES and share(person["on_time"], total) >= ON_TIME_SHARE:
            out.append(
                {
                    "key": f"person:{person['account_id']}",
                    "kind": "person",
                    "name": person["name"],
                    "reason": f"登錄 {total} 筆資料，全數準時",
                    "reason_en": f"entered {total} records, all on time",
                }
            )
    for teacher in teachers:
        if teacher["count"] and teacher["waiting"] == 0 and teacher["median_hours"] <= MAX_MEDIAN_HOURS:
            out.append(
                {
                    "key": f"teacher:{teacher['account_id']}",
                    "kind": "teacher",
                    "name": teacher["name"],
                    "reason": f"認證 {teacher['count']} 件，等候時間中位數 {teacher['median_hours']} 小時",
                    "reason_en": f"certified {teacher['count']}, median wait {teacher['median_hours']} h",
                }
            )
    return out
