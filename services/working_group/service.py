"""WorkingGroupService: the 工作小組 of the seed regulation (§3, §5, §6).

Members by position with terms, meetings (one per semester at least, chaired by the convener), trainings
with attendance, the effectiveness dashboard, and the secretary's commendation proposals with the group's
decision. Figures come from their owners by RPC: records (timeliness, students, re-checks), certification
(uploads, turnaround), identity (staff names), national_upload (the term's outcome, when it exists).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from nameko.rpc import RpcProxy, rpc

from services.records.contract import RecordsPeer
from services.working_group import domain, figures
from services.working_group.domain import POSITION_NAMES_ZH, TRAINING_NAMES_ZH, TRAINING_ORGANISERS_ZH, Position, TrainingKind
from services.working_group.errors import (
    AlreadyDecided,
    BadAttendance,
    BadMeeting,
    BadTraining,
    MeetingNotFound,
    MemberNotFound,
    ProposalNotFound,
    SeatTaken,
    SemesterUnknown,
    TrainingNotFound,
)
from services.working_group.schemas import (
    Attendance,
    Decide,
    MeetingIn,
    MemberIn,
    MemberPatch,
    Proposal,
    TrainingIn,
    TrainingPatch,
)
from services.working_group.store import WorkingGroupStore
from shared.caller import Caller
from shared.changes import ChangesMixin
from shared.clock import to_taipei, utcnow
from shared.errors import Forbidden, ValidationFailed, field_error, no_semester_yet
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin
from shared.validation import parse

STAFF_TRAINEES = {Role.TEACHER.value, Role.HOMEROOM.value, Role.COUNSELOR.value}


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as JSON: id instead of _id, dates as ISO text."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ("_id", "school_id"):
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    out["id"] = doc["_id"]
    return out


def _member_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {**_plain(doc), "position_name": POSITION_NAMES_ZH[Position(doc["position"])]}


def _every_answer(asked: dict[str, Any]) -> dict[str, Any]:
    """Each reply's result; every reply is taken before the first failure is raised (none is left behind)."""
    answers, failure = {}, None
    for name, reply in asked.items():
        try:
            answers[name] = reply.result()
        except Exception as exc:  # raised below, once the others are in
            failure = failure or exc
    if failure is not None:
        raise failure
    return answers


def _training_view(doc: dict[str, Any]) -> dict[str, Any]:
    kind = TrainingKind(doc["kind"])
    return {**_plain(doc), "kind_name": TRAINING_NAMES_ZH[kind], "organiser": TRAINING_ORGANISERS_ZH[kind]}


def _today() -> date:
    return to_taipei(utcnow()).date()


class WorkingGroupService(ChangesMixin, HealthMixin):
    name = "working_group"

    store: WorkingGroupStore = StoreProvider("working_group", WorkingGroupStore)
    caller: Caller | None = CallerProvider()
    records: RecordsPeer = RpcProxy("records")
    certification = RpcProxy("certification")
    identity = RpcProxy("identity")
    evidence = RpcProxy("evidence")
    national_upload = RpcProxy("national_upload")

    # --- members (§3(1)) ---

    @rpc
    def positions(self) -> list[dict]:
        require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        return [{"position": p.value, "name": POSITION_NAMES_ZH[p]} for p in Position]

    @rpc
    def list_members(self, on: str | None = None) -> list[dict]:
        """Every member with their term; `on` (YYYY-MM-DD) keeps those serving that day."""
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        docs = self.store.list_members(caller.require_school())
        if on:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                raise ValidationFailed(
                    "日期格式不正確", "on must be YYYY-MM-DD", [field_error("on", "日期格式不正確", "YYYY-MM-DD")]
                ) from None
            docs = [d for d in docs if domain.serves_on(d, day)]
        return [_member_view(d) for d in docs]

    @rpc
    def add_member(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_WRITE)
        school = caller.require_school()
        request = parse(MemberIn, payload)
        doc = {
            "_id": uuid.uuid4().hex,
            **request.model_dump(mode="json"),
            "created_at": utcnow(),
            "created_by": caller.user_id,
        }
        self._known_account(doc.get("account_id"))
        self._free_seat(school, doc)
        self.store.add_member(school, doc)
        self.changes.record(school, caller, "member.add", doc["_id"], after=doc)
        return _member_view(doc)

    @rpc
    def update_member(self, member_id: str, payload: dict) -> dict:
        """Rename, link an account, or end a term (a successor is then added to the same seat)."""
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_WRITE)
        school = caller.require_school()
        before = self._member(school, member_id)
        changes = parse(MemberPatch, payload).model_dump(mode="json", exclude_unset=True)
        if changes.get("term_ends") and changes["term_ends"] < before["term_starts"]:
            raise ValidationFailed(
                "任期結束不可早於開始",
                "the term cannot end before it starts",
                [field_error("term_ends", "任期結束不可早於開始", "before the start")],
            )
        self._known_account(changes.get("account_id"))
        self._free_seat(school, {**before, **changes})
        after = self.store.update_member(school, member_id, changes) if changes else before
        self.changes.record(school, caller, "member.update", member_id, before=before, after=after)
        return _member_view(after or before)

    def _member(self, school: str, member_id: str) -> dict[str, Any]:
        doc = self.store.get_member(school, member_id)
        if doc is None:
            raise MemberNotFound("找不到此工作小組成員", "member not found")
        return doc

    def _known_account(self, account_id: str | None) -> None:
        """A member's linked account is a staff account of this school (the secretary's is how they are recognised)."""
        if account_id and account_id not in {a["id"] for a in self.identity.staff_directory()}:
            raise ValidationFailed(
                "找不到此教職員帳號",
                "no such staff account in this school",
                [field_error("account_id", "找不到此教職員帳號", "no such staff account", "unknown_account")],
            )

    def _free_seat(self, school: str, candidate: dict[str, Any]) -> None:
        holder = domain.seat_conflict(candidate, self.store.list_members(school))
        if holder is not None:
            name = POSITION_NAMES_ZH[Position(candidate["position"])] + (f"（{candidate['subject']}）" if candidate.get("subject") else "")
            raise SeatTaken(
                f"{name}在此任期已由 {holder['name']} 擔任，請先結束其任期",
                f"{candidate['position']} is held by another member during that term; end their term first",
            )

    # --- meetings (§3(2)) ---

    @rpc
    def record_meeting(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_WRITE)
        school = caller.require_school()
        request = parse(MeetingIn, payload)
        semester = self.records.get_semester(school, request.year, request.term)
        members = {d["_id"]: d for d in self.store.list_members(school)}
        attachments = {}
        if request.attachment_ids:
            attachments = {e["id"]: e for e in self.evidence.describe(request.attachment_ids, school)}
        errors = domain.meeting_errors(request.model_dump(), semester, members, attachments)
        if errors:
            raise BadMeeting("會議紀錄有誤，請修正標示的欄位", "the meeting record has errors", errors)
        doc = {"_id": uuid.uuid4().hex, **request.model_dump(mode="json"), "recorded_by": caller.user_id, "recorded_at": utcnow()}
        self.store.add_meeting(school, doc)
        self.changes.record(school, caller, "meeting.record", doc["_id"], after=doc)
        return _plain(doc)

    @rpc
    def list_meetings(self, year: int | None = None) -> list[dict]:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        return [_plain(d) for d in self.store.list_meetings(caller.require_school(), int(year) if year else None)]

    @rpc
    def get_meeting(self, meeting_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        doc = self.store.get_meeting(caller.require_school(), meeting_id)
        if doc is None:
            raise MeetingNotFound("找不到此會議紀錄", "meeting not found")
        return _plain(doc)

    @rpc
    def warnings(self) -> list[dict]:
        """What the secretary's home page warns about: this year's begun semesters without a meeting (§3(2)),
        and the kinds of training not yet held this academic year (§5)."""
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        school = caller.require_school()
        current = self.records.current_semester(school)
        if not current:
            return [
                {"code": "no_semester", "message": "註冊組尚未建立本學期行事曆", "message_en": "the school calendar has no semester yet"}
            ]
        year = int(current["year"])
        semesters = [s for s in self.records.list_semesters() if int(s["year"]) == year]
        out = []
        for s in domain.terms_without_meeting(semesters, self.store.list_meetings(school, year), _today()):
            out.append(
                {
                    "code": "no_meeting",
                    "year": int(s["year"]),
                    "term": int(s["term"]),
                    "message": f"{s['year']} 學年度第 {s['term']} 學期尚未召開工作小組會議（每學期至少一次）",
                    "message_en": f"no working group meeting yet in {s['year']}-{s['term']} (at least one per semester)",
                }
            )
        for kind in domain.kinds_not_held(self.store.list_trainings(school, year)):
            out.append(
                {
                    "code": "no_training",
                    "year": year,
                    "kind": kind.value,
                    "message": f"{year} 學年度尚未辦理{TRAINING_NAMES_ZH[kind]}（{TRAINING_ORGANISERS_ZH[kind]}，每學年至少一次）",
                    "message_en": f"no {kind.value.replace('_', ' ')} held yet in {year} (at least one per academic year)",
                }
            )
        return out

    # --- trainings, workshops, briefings (§5) ---

    @rpc
    def plan_training(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_WRITE)
        school = caller.require_school()
        request = parse(TrainingIn, payload)
        self._check_dates(request.year, {"planned_on": request.planned_on})
        doc = {
            "_id": uuid.uuid4().hex,
            **request.model_dump(mode="json"),
            "held_on": None,
            "attendee_ids": [],
            "created_by": caller.user_id,
            "created_at": utcnow(),
        }
        self.store.add_training(school, doc)
        self.changes.record(school, caller, "training.plan", doc["_id"], after=doc)
        return _training_view(doc)

    @rpc
    def update_training(self, training_id: str, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_WRITE)
        school = caller.require_school()
        before = self._training(school, training_id)
        request = parse(TrainingPatch, payload)
        self._check_dates(before["year"], {"planned_on": request.planned_on, "held_on": request.held_on})
        changes = request.model_dump(mode="json", exclude_unset=True)
        after = self.store.update_training(school, training_id, changes) if changes else before
        self.changes.record(school, caller, "training.update", training_id, before=before, after=after)
        return _training_view(after or before)

    @rpc
    def list_trainings(self, year: int, kind: str | None = None) -> list[dict]:
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_READ)
        return [_training_view(d) for d in self.store.list_trainings(caller.require_school(), int(year), kind or None)]

    @rpc
    def get_training(self, training_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_READ)
        return _training_view(self._training(caller.require_school(), training_id))

    @rpc
    def set_attendance(self, training_id: str, payload: dict) -> dict:
        """The tick list: the session's whole attendance, replacing what was there."""
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_WRITE)
        school = caller.require_school()
        doc = self._held(school, training_id)
        ids = list(dict.fromkeys(parse(Attendance, payload).attendee_ids))
        known = self._trainees(school, doc)
        if known is not None:
            errors = [
                field_error(f"attendee_ids.{i}", "不在應出席名單中", "not among this session's trainees", "unknown_attendee")
                for i, value in enumerate(ids)
                if value not in known
            ]
            if errors:
                raise BadAttendance("出席名單有不認得的人", "some attendees are unknown", errors)
        return self._save_attendance(school, caller, doc, ids)

    @rpc
    def import_attendance(self, training_id: str, rows: list) -> dict:
        """Rows of an XLSX/CSV sign-in sheet (學號 for students, 帳號 for teachers, 姓名 for parents), added to
        the attendance. Any unknown row imports nothing."""
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_WRITE)
        school = caller.require_school()
        doc = self._held(school, training_id)
        column, lookup = self._sheet_column(school, doc)
        ids: list[str] = []
        errors = []
        for index, row in enumerate(rows if isinstance(rows, list) else [], start=2):
            value = str((row or {}).get(column, "")).strip() if isinstance(row, dict) else ""
            if not value:
                errors.append({"row": index, **field_error(column, f"缺少{column}", f"{column} is missing", "missing")})
            elif lookup is not None and value not in lookup:
                errors.append({"row": index, **field_error(column, f"找不到 {value}", f"unknown {value}", "unknown_attendee")})
            else:
                ids.append(lookup[value] if lookup is not None else value[:50])
        if not rows:
            errors.append({"row": 1, **field_error(column, f"檔案沒有資料列（需有「{column}」欄）", f"no rows (column {column})", "empty")})
        if errors:
            raise BadAttendance(f"簽到表有 {len(errors)} 處錯誤，未匯入任何資料", f"{len(errors)} errors; nothing imported", errors)
        merged = list(dict.fromkeys([*doc.get("attendee_ids", []), *ids]))
        return self._save_attendance(school, caller, doc, merged)

    @rpc
    def training_gaps(self, year: int, kind: str) -> dict:
        """Who has not attended a held session of this kind in the academic year (students or teachers)."""
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_READ)
        school = caller.require_school()
        try:
            kind_ = TrainingKind(kind)
        except ValueError:
            raise ValidationFailed(
                "未知的場次類別", "unknown kind", [field_error("kind", "不在允許的選項中", "unknown kind", "enum")]
            ) from None
        held = [t for t in self.store.list_trainings(school, int(year), kind_.value) if t.get("held_on")]
        people = self._people(school, kind_, int(year))
        if people is None:
            attended = sum(len(t.get("attendee_ids", [])) for t in held)
            return {"year": int(year), "kind": kind_.value, "sessions_held": len(held), "attended": attended, "not_attended": None}
        missing = domain.not_attended(people, "id", held)
        return {
            "year": int(year),
            "kind": kind_.value,
            "sessions_held": len(held),
            "people": len(people),
            "attended": len(people) - len(missing),
            "not_attended": missing,
        }

    @rpc
    def trainees(self, training_id: str) -> list[dict]:
        """The tick list of one session: everyone who should attend, ticked when present (parents: the names recorded)."""
        caller = require(self.caller, Permission.SCHOOL_TRAININGS_READ)
        school = caller.require_school()
        doc = self._training(school, training_id)
        present = set(doc.get("attendee_ids", []))
        people = self._people(school, TrainingKind(doc["kind"]), doc["year"])
        if people is None:
            return [{"id": name, "name": name, "class_code": None, "present": True} for name in doc.get("attendee_ids", [])]
        return [{**p, "present": p["id"] in present} for p in people]

    def _people(self, school: str, kind: TrainingKind, year: int) -> list[dict[str, Any]] | None:
        """Who a kind of session is for: enrolled students, or teaching staff (None: parents, who have no accounts)."""
        if kind is TrainingKind.STUDENT_TRAINING:
            return [
                {"id": s["student_id"], "name": s["name"], "class_code": s["class_code"], "username": s["student_id"]}
                for s in self.records.active_students(school, int(year), 1)
            ]
        if kind is TrainingKind.TEACHER_WORKSHOP:
            return [
                {"id": a["id"], "name": a["display_name"] or a["username"], "class_code": None, "username": a["username"]}
                for a in self.identity.staff_directory()
                if STAFF_TRAINEES & set(a["roles"])
            ]
        return None

    def _training(self, school: str, training_id: str) -> dict[str, Any]:
        doc = self.store.get_training(school, training_id)
        if doc is None:
            raise TrainingNotFound("找不到此場次", "training session not found")
        return doc

    def _held(self, school: str, training_id: str) -> dict[str, Any]:
        doc = self._training(school, training_id)
        if not doc.get("held_on"):
            raise BadAttendance(
                "請先登錄實際辦理日期再點名",
                "record the day it was held first",
                [field_error("held_on", "尚未辦理", "not held yet", "not_held")],
            )
        return doc

    def _check_dates(self, year: int, days: dict[str, date | None]) -> None:
        semesters = [s for s in self.records.list_semesters() if int(s["year"]) == int(year)]
        span = domain.year_span(semesters)
        errors = [e for f, d in days.items() if (e := domain.date_in_year_error(f, d, span))]
        if errors:
            raise BadTraining("場次日期有誤", "the session's dates are not valid", errors)

    def _trainees(self, school: str, doc: dict[str, Any]) -> set[str] | None:
        """Who may be ticked for this session (None: parents, any name)."""
        people = self._people(school, TrainingKind(doc["kind"]), doc["year"])
        return None if people is None else {p["id"] for p in people}

    def _sheet_column(self, school: str, doc: dict[str, Any]) -> tuple[str, dict[str, str] | None]:
        """The sign-in sheet's column for this kind of session, and how its values map to attendee ids."""
        column = {TrainingKind.STUDENT_TRAINING: "學號", TrainingKind.TEACHER_WORKSHOP: "帳號"}.get(TrainingKind(doc["kind"]), "姓名")
        people = self._people(school, TrainingKind(doc["kind"]), doc["year"])
        return column, None if people is None else {p["username"]: p["id"] for p in people}

    def _save_attendance(self, school: str, caller: Caller, doc: dict[str, Any], ids: list[str]) -> dict:
        after = self.store.update_training(school, doc["_id"], {"attendee_ids": ids})
        self.changes.record(
            school,
            caller,
            "training.attendance",
            doc["_id"],
            before={"attendee_ids": doc.get("attendee_ids", [])},
            after={"attendee_ids": ids},
        )
        return _training_view(after or doc)

    # --- effectiveness review (§6) ---

    @rpc
    def dashboard(self, year: int | None = None, term: int | None = None) -> dict:
        """The semester's figures per unit, person, teacher and class, with the charts as SVG."""
        caller = require(self.caller, Permission.SCHOOL_EFFECTIVENESS_READ)
        found = self._figures(caller, year, term)
        unit_days, class_days = found.pop("_unit_days"), found.pop("_class_days")
        return {**found, "charts": figures.dashboard_charts(found, unit_days, class_days, _today())}

    def _figures(self, caller: Caller, year: int | None, term: int | None) -> dict[str, Any]:
        """The semester's figures from their owners; `_unit_days`/`_class_days` feed the charts only."""
        school = caller.require_school()
        if year is None or term is None:
            current = self.records.current_semester(school)
            if not current:
                raise no_semester_yet()
            year, term = int(current["year"]), int(current["term"])
        year, term = int(year), int(term)
        # asked all at once: each owner reads its own database while the others read theirs
        asked = {
            "timeliness": self.records.entry_timeliness.call_async(school, year, term),
            "staff": self.identity.staff_directory.call_async(),
            "students": self.records.active_students.call_async(school, year, term),
            "first_uploads": self.certification.first_uploads.call_async(year, term),
            "completion": self.certification.completion.call_async(year, term),
            "national": self._national_async(school, year, term),
        }
        national = self._national(asked.pop("national"))
        answers = _every_answer(asked)
        timeliness = answers["timeliness"]
        if timeliness is None:
            raise SemesterUnknown(f"找不到 {year}-{term} 學期", f"no semester {year}-{term}")
        names = {a["id"]: a["display_name"] or a["username"] for a in answers["staff"]}
        units, people, unit_days = figures.units_and_people(timeliness, names)
        students = answers["students"]
        classes, class_days = figures.classes(students, answers["first_uploads"])
        return {
            "year": year,
            "term": term,
            "internal_deadline": timeliness["internal_deadline"],
            "starts_on": timeliness["starts_on"],
            "units": units,
            "people": people,
            "teachers": figures.teachers(answers["completion"].get("turnaround", {}), names),
            "classes": classes,
            "recheck": {"students": len(students), "rechecked": sum(1 for s in students if s["rechecked"])},
            "national": national,
            "_unit_days": unit_days,
            "_class_days": class_days,
        }

    def _national_async(self, school: str, year: int, term: int) -> Any:
        try:
            return self.national_upload.term_outcome.call_async(school, year, term)
        except Exception:  # the broker refused the call: shown as 尚無上傳, like an absent service
            return None

    @staticmethod
    def _national(reply: Any) -> dict[str, Any] | None:
        """The term's national upload outcome; None ("尚無上傳") when nothing was uploaded or the RPC is absent."""
        try:
            outcome = reply.result() if reply is not None else None
        except Exception:  # an older national_upload without the RPC, or no upload yet: shown as 尚無上傳
            return None
        if not outcome or not outcome.get("total"):
            return None
        return {k: int(outcome.get(k, 0)) for k in ("total", "accepted", "rejected", "dead")}

    # --- commendations (§6) ---

    @rpc
    def propose_commendations(self, payload: dict) -> dict:
        """The executive secretary (the member in the 教務主任 seat, by account) proposes from the figures."""
        caller = require(self.caller, Permission.SCHOOL_COMMENDATIONS_WRITE)
        school = caller.require_school()
        request = parse(Proposal, payload)
        today = _today()
        secretary = [
            m
            for m in self.store.list_members(school)
            if m["position"] == domain.SECRETARY and m.get("account_id") == caller.user_id and domain.serves_on(m, today)
        ]
        if not secretary:
            raise Forbidden("敘獎由執行秘書（教務主任）提出", "the executive secretary proposes commendations")
        found = self._figures(caller, request.year, request.term)
        candidates = domain.propose(found["units"], found["people"], found["teachers"])
        doc = {
            "_id": uuid.uuid4().hex,
            "year": request.year,
            "term": request.term,
            "status": "proposed",
            "candidates": candidates,
            "figures": {k: found[k] for k in ("units", "people", "teachers")},
            "proposed_by": caller.user_id,
            "proposed_by_name": secretary[0]["name"],
            "created_at": utcnow(),
        }
        self.store.add_proposal(school, doc)
        self.changes.record(school, caller, "commendation.propose", doc["_id"], after={"candidates": candidates})
        return _plain(doc)

    @rpc
    def decide_commendations(self, proposal_id: str, payload: dict) -> dict:
        """The group's decision, taken at a recorded meeting, one line per candidate."""
        caller = require(self.caller, Permission.SCHOOL_COMMENDATIONS_WRITE)
        school = caller.require_school()
        doc = self._proposal(school, proposal_id)
        request = parse(Decide, payload)
        if doc["status"] != "proposed":
            raise AlreadyDecided("工作小組已議決此提案", "already decided")
        errors = []
        if self.store.get_meeting(school, request.meeting_id) is None:
            errors.append(field_error("meeting_id", "找不到此會議紀錄", "no such meeting", "unknown_meeting"))
        keys = {c["key"] for c in doc["candidates"]}
        for index, decision in enumerate(request.decisions):
            if decision.key not in keys:
                errors.append(field_error(f"decisions.{index}.key", "不在提案名單中", "not a proposed candidate", "unknown_candidate"))
        if errors:
            raise ValidationFailed("議決內容有誤", "the decision has errors", errors)
        decided = {d.key: d.model_dump() for d in request.decisions}
        candidates = [
            {**c, "approved": decided.get(c["key"], {}).get("approved", False), "award": decided.get(c["key"], {}).get("award", "")}
            for c in doc["candidates"]
        ]
        changes = {
            "status": "decided",
            "candidates": candidates,
            "meeting_id": request.meeting_id,
            "decided_by": caller.user_id,
            "decided_at": utcnow(),
        }
        after = self.store.decide(school, proposal_id, changes)
        if after is None:
            raise AlreadyDecided("工作小組已議決此提案", "already decided")
        self.changes.record(school, caller, "commendation.decide", proposal_id, before={"status": "proposed"}, after=changes)
        return _plain(after)

    @rpc
    def get_proposal(self, proposal_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        return _plain(self._proposal(caller.require_school(), proposal_id))

    @rpc
    def list_proposals(self) -> list[dict]:
        caller = require(self.caller, Permission.SCHOOL_WORKING_GROUP_READ)
        return [{k: v for k, v in _plain(d).items() if k != "figures"} for d in self.store.list_proposals(caller.require_school())]

    def _proposal(self, school: str, proposal_id: str) -> dict[str, Any]:
        doc = self.store.get_proposal(school, proposal_id)
        if doc is None:
            raise ProposalNotFound("找不到此敘獎提案", "proposal not found")
        return doc
