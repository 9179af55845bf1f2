"""CertificationService: the 課程學習成果 workflow, proxies, supervision and the selection (勾選)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import RpcProxy, rpc

from services.certification import domain, events
from services.certification.certifying import CertifyingMixin
from services.certification.domain import Action, Deadlines, State
from services.certification.errors import (
    CapReached,
    NotCourseTeacher,
    OutcomeNotFound,
    StudentArchived,
    StudentNotLinked,
)
from services.certification.peers import Peers
from services.certification.schemas import (
    CreateOutcome,
    EditOutcome,
    NameProxy,
    Reminder,
    ReturnOutcome,
    SchoolCap,
)
from services.certification.selection import SelectionMixin
from services.certification.store import CertificationStore
from services.certification.views import OUTCOMES, PERFORMANCES, SELECTED, batch_lock_view, lock_reason, outcome_view, plain_history
from services.records.contract import RecordsPeer
from shared.archived import ArchiveListener
from shared.caller import Caller
from shared.changes import ChangesMixin
from shared.clock import utcnow
from shared.errors import Conflict, Forbidden
from shared.guardians import child_of
from shared.mongo import StoreProvider
from shared.national.rules import rules_for
from shared.permissions import Permission, require, require_system
from shared.roles import Role
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.tenancy import acting_school
from shared.validation import parse


class CertificationService(CertifyingMixin, SelectionMixin, ChangesMixin, ArchiveListener, HealthMixin):
    name = "certification"

    store: CertificationStore = StoreProvider("certification", CertificationStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    dispatch = EventDispatcher()
    records: RecordsPeer = RpcProxy("records")
    evidence = RpcProxy("evidence")
    identity_for_parents = RpcProxy("identity")

    @property
    def peers(self) -> Peers:
        caller = self.caller
        return Peers(self.records, self.evidence, caller.school_id if caller else "")

    # --- the student's outcomes ---

    @rpc
    def create_outcome(self, payload: dict) -> dict:
        caller = self._student(Permission.SELF_OUTCOMES_WRITE)
        school = caller.require_school()
        request = parse(CreateOutcome, payload)
        self._refuse_archived(school, caller.student_id)
        course, deadlines, student = self.peers.outcome_context(caller.student_id, request.course_id)
        domain.check_action_deadline(deadlines, Action.EDIT, utcnow())
        self.peers.own_evidence(caller.student_id, request.evidence_ids)
        cap = self.store.school_cap(school)
        outcome_id = uuid.uuid4().hex
        if self.store.take_slot(school, caller.student_id, course["year"], course["term"], OUTCOMES, cap, outcome_id) == "full":
            raise CapReached(f"本學期最多登錄 {cap} 件課程學習成果", f"at most {cap} outcomes per semester")
        now = utcnow()
        doc = {
            "_id": outcome_id,
            "student_id": caller.student_id,
            "account_id": caller.user_id,
            "class_code": student.get("class_code"),
            "course_id": course["id"],
            "course_name": course["name"],
            "year": course["year"],
            "term": course["term"],
            "summary": request.summary,
            "evidence_ids": request.evidence_ids,
            "video_url": str(request.video_url) if request.video_url else None,
            "state": State.DRAFT.value,
            "teacher_ids": list(course["teacher_ids"]),
            "history": [{"at": now, "by": caller.user_id, "action": "create", "state": State.DRAFT.value}],
            "created_at": now,
            "updated_at": now,
        }
        self.store.insert(school, doc)
        self.peers.grant(request.evidence_ids, doc["teacher_ids"])
        self.changes.record(school, caller, "outcome.create", doc["_id"], after=doc)
        return outcome_view(doc)

    @rpc
    def edit_outcome(self, outcome_id: str, payload: dict) -> dict:
        caller = self._student(Permission.SELF_OUTCOMES_WRITE)
        doc = self._own(caller, outcome_id)
        changes = parse(EditOutcome, payload).model_dump(exclude_none=True, mode="json")
        if "evidence_ids" in changes:
            self.peers.own_evidence(caller.student_id, changes["evidence_ids"])
            self.peers.grant(changes["evidence_ids"], doc["teacher_ids"])
        return self._move(caller, doc, Action.EDIT, changes)

    @rpc
    def submit_outcome(self, outcome_id: str) -> dict:
        caller = self._student(Permission.SELF_OUTCOMES_WRITE)
        doc = self._own(caller, outcome_id)
        after = self._move(caller, doc, Action.SUBMIT, {"submitted_at": utcnow()})
        self.dispatch(
            events.OUTCOME_SUBMITTED,
            {"school_id": caller.school_id, "outcome_id": outcome_id, "student_id": doc["student_id"], "teacher_ids": doc["teacher_ids"]},
        )
        return after

    @rpc
    def withdraw_outcome(self, outcome_id: str) -> dict:
        caller = self._student(Permission.SELF_OUTCOMES_WRITE)
        doc = self._own(caller, outcome_id)
        after = self._move(caller, doc, Action.WITHDRAW, {})
        if doc["state"] != State.WITHDRAWN.value:
            self.store.free_slot(caller.school_id, doc["student_id"], doc["year"], doc["term"], OUTCOMES, outcome_id)
            self.store.free_slot(caller.school_id, doc["student_id"], doc["year"], doc["term"], SELECTED, outcome_id)
        return after

    @rpc
    def my_outcomes(self, year: int | None = None, term: int | None = None) -> dict:
        caller = self._student(Permission.SELF_OUTCOMES_READ)
        school = caller.require_school()
        if year is None or term is None:
            year, term = self.peers.current_term()
        docs = self.store.of_student(school, caller.student_id, int(year), int(term))
        selected = set(self.store.holders(school, caller.student_id, int(year), int(term), SELECTED))
        cap = self.store.school_cap(school)
        used = len(self.store.holders(school, caller.student_id, int(year), int(term), OUTCOMES))
        national_cap = rules_for(int(year)).national_outcomes_per_semester
        batch_lock = self.store.batch_lock(school, int(year), caller.student_id)
        term_locked = self.store.is_locked(school, int(year), int(term))
        return {
            "year": year,
            "term": term,
            "items": [outcome_view(d, selected) for d in docs],
            "cap": cap,
            "remaining": max(0, cap - used),
            "selection_cap": national_cap,
            "selected": len(selected),
            "locked": term_locked or batch_lock is not None,
            "locked_reason": lock_reason(term_locked, batch_lock, "本學期"),
            "batch_lock": batch_lock_view(batch_lock),
            "senior_batches": self._senior_batches(school, int(year), int(term), caller.student_id),
        }

    @rpc
    def get_outcome(self, outcome_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_OUTCOMES_READ)
        doc = self._find(caller.require_school(), outcome_id)
        if not self._may_read(caller, doc):
            raise OutcomeNotFound("找不到此學習成果", "outcome not found")
        return outcome_view(doc)

    # --- teachers: certify, return, bulk, queue, proxies ---

    @rpc
    def return_outcome(self, outcome_id: str, payload: dict) -> dict:
        caller = require(self.caller, Permission.COURSE_OUTCOMES_CERTIFY)
        request = parse(ReturnOutcome, payload)
        doc = self._find(caller.require_school(), outcome_id)
        on_behalf = self._acting_for(caller, doc)
        after = self._move(caller, doc, Action.RETURN, {}, on_behalf=on_behalf, reason=request.reason.value, comment=request.comment)
        self.dispatch(
            events.OUTCOME_RETURNED,
            {"school_id": caller.school_id, "outcome_id": outcome_id, "student_id": doc["student_id"], "reason": request.reason.value},
        )
        reason = domain.RETURN_REASONS_ZH[request.reason] + (f"，{request.comment}" if request.comment else "")
        self._notify(caller.school_id, [doc["student_id"]], caller, f"「{doc['course_name']}」學習成果被退回：{reason}")
        return after

    @rpc
    def teacher_queue(self) -> dict:
        caller = require(self.caller, Permission.COURSE_QUEUE_READ)
        school = caller.require_school()
        now = utcnow()
        standing_for = [
            p["teacher_id"] for p in self.store.proxies_of(school, proxy_id=caller.user_id) if p["starts_at"] <= now <= p["ends_at"]
        ]
        archived = self.store.archived.among(school)
        waiting = [d for d in self.store.waiting_for(school, [caller.user_id, *standing_for]) if d["student_id"] not in archived]
        courses: dict[str, dict] = {}
        for doc in waiting:
            entry = courses.setdefault(
                doc["course_id"],
                {
                    "course_id": doc["course_id"],
                    "course_name": doc["course_name"],
                    "waiting": 0,
                    "oldest_submitted_at": doc.get("submitted_at"),
                    "items": [],
                },
            )
            entry["waiting"] += 1
            entry["items"].append(outcome_view(doc))
        # each outcome's files described here, in one call for the whole queue, not one per file by the page
        files = self.peers.files([e for d in waiting for e in d.get("evidence_ids", [])]) if waiting else {}
        for entry in courses.values():
            for item in entry["items"]:
                item["files"] = [files[e] for e in item["evidence_ids"] if e in files]
        return {"courses": list(courses.values()), "waiting": len(waiting), "standing_in_for": standing_for}

    @rpc
    def name_proxy(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_PROXIES_WRITE)
        school = caller.require_school()
        request = parse(NameProxy, payload)
        teacher_id = request.teacher_id or caller.user_id
        if teacher_id != caller.user_id and not caller.has(Role.REGISTRAR):
            raise Forbidden("只有註冊組可以為其他教師指定代理人", "only the registrar names a proxy for another teacher")
        if request.proxy_id == teacher_id:
            raise Forbidden("不能指定自己為代理人", "a teacher cannot be their own proxy")
        doc = {
            "_id": uuid.uuid4().hex,
            "teacher_id": teacher_id,
            "proxy_id": request.proxy_id,
            "starts_at": request.starts_at,
            "ends_at": request.ends_at,
            "named_by": caller.user_id,
            "created_at": utcnow(),
        }
        self.store.add_proxy(school, doc)
        self.changes.record(school, caller, "proxy.name", teacher_id, after=doc)
        return {k if k != "_id" else "id": v for k, v in doc.items()} | {
            "starts_at": request.starts_at.isoformat(),
            "ends_at": request.ends_at.isoformat(),
            "created_at": doc["created_at"].isoformat(),
        }

    # --- supervision ---

    @rpc
    def class_progress(self, class_code: str, year: int | None = None, term: int | None = None) -> dict:
        caller = require(self.caller, Permission.CLASS_PROGRESS_READ)
        school = caller.require_school()
        self._own_class(caller, class_code)
        if year is None or term is None:
            year, term = self.peers.current_term()
        students = self.peers.students_of_class(class_code)
        docs = self.store.of_students(school, [s["id"] for s in students], int(year), int(term))
        by_student: dict[str, Counter] = defaultdict(Counter)
        waiting_on: dict[str, set[str]] = defaultdict(set)
        for doc in docs:
            by_student[doc["student_id"]][doc["state"]] += 1
            if doc["state"] == State.SUBMITTED.value:
                waiting_on[doc["student_id"]].update(doc["teacher_ids"])
        rows = [
            {
                "student_id": s["id"],
                "name": s.get("name", ""),
                "seat_no": s.get("seat_no"),
                "states": dict(by_student[s["id"]]),
                "uploaded": sum(by_student[s["id"]].values()),
                "waiting_for_teachers": sorted(waiting_on[s["id"]]),
            }
            for s in students
        ]
        return {
            "class_code": class_code,
            "year": year,
            "term": term,
            "students": rows,
            "not_uploaded": [r["student_id"] for r in rows if r["uploaded"] == 0],
        }

    @rpc
    def remind_class(self, class_code: str, payload: dict) -> dict:
        caller = require(self.caller, Permission.CLASS_REMINDERS_WRITE)
        self._own_class(caller, class_code)
        request = parse(Reminder, payload)
        students = {s["id"] for s in self.peers.students_of_class(class_code)}
        recipients = sorted(students if request.student_ids is None else students & set(request.student_ids))
        self._notify(caller.require_school(), recipients, caller, request.message)
        return {"sent": len(recipients)}

    @rpc
    def my_notifications(self) -> list[dict]:
        caller = require(self.caller, Permission.SELF_NOTIFICATIONS_READ)
        recipient = caller.student_id or caller.user_id
        docs = self.store.notifications_of(caller.require_school(), recipient)
        return [
            {"id": d["_id"], "at": d["at"].isoformat(), "from": d["from_name"], "from_id": d.get("from"), "message": d["message"]}
            for d in docs
        ]

    @rpc
    def completion_current(self) -> dict:
        require(self.caller, Permission.SCHOOL_COMPLETION_READ)
        return self.completion(*self.peers.current_term())

    @rpc
    def completion(self, year: int, term: int) -> dict:
        """Per class and per teacher: how many outcomes are in each state this semester."""
        caller = require(self.caller, Permission.SCHOOL_COMPLETION_READ)
        per_class: dict[str, Counter] = defaultdict(Counter)
        per_teacher: dict[str, Counter] = defaultdict(Counter)
        teacher_items: dict[str, list[dict]] = defaultdict(list)
        for doc in self.store.of_term(caller.require_school(), int(year), int(term)):
            per_class[doc.get("class_code") or "?"][doc["state"]] += 1
            for teacher in doc["teacher_ids"]:
                per_teacher[teacher][doc["state"]] += 1
                teacher_items[teacher].append(doc)
        now = utcnow()
        return {
            "year": year,
            "term": term,
            "per_class": {k: dict(v) for k, v in per_class.items()},
            "per_teacher": {k: dict(v) for k, v in per_teacher.items()},
            "turnaround": {k: domain.turnaround_hours(v, now) for k, v in teacher_items.items()},
        }

    @rpc
    def set_school_cap(self, payload: dict) -> dict:
        """The school's own cap on outcomes per student and semester (this school: 1–6)."""
        caller = require(self.caller, Permission.SCHOOL_CERTIFICATION_SETTINGS)
        school = caller.require_school()
        cap = parse(SchoolCap, payload).cap
        before = self.store.school_cap(school)
        self.store.set_school_cap(school, cap)
        self.changes.record(school, caller, "settings.outcome_cap", school, before={"cap": before}, after={"cap": cap})
        return {"cap": cap}

    # --- archive: records announces who left; their outcomes are read-only, then purged ---

    def _refuse_archived(self, school: str, student_id: str | None) -> None:
        if student_id and self.store.archived.contains(school, student_id):
            raise StudentArchived(f"學號 {student_id} 已離校，學習成果已封存唯讀", f"student {student_id} is archived (read-only)")

    def _archive_school(self, permission: Permission, school_id: str) -> str:
        return acting_school(require(self.caller, permission), school_id)

    @rpc
    def outcomes_of_student(self, school_id: str, student_id: str) -> list[dict]:
        """Every outcome of one student with its history (the registrar's archived-portfolio download)."""
        school = self._archive_school(Permission.SCHOOL_ARCHIVE_READ, school_id)
        return [outcome_view(d) | {"history": plain_history(d)} for d in self.store.of_student(school, student_id)]

    @rpc
    def child_outcomes(self, student_id: str, year: int | None = None, term: int | None = None) -> dict:
        """A parent's child's outcomes of a semester with their state and 勾選, and the 多元表現 ticked in
        that academic year: read only, as the child's page shows them (another child: 404)."""
        _, school, student_id = child_of(self.caller, self.identity_for_parents, student_id)
        year, term = (int(year), int(term)) if year is not None and term is not None else self.peers.current_term()
        docs = self.store.of_student(school, student_id, year, term)
        selected = set(self.store.holders(school, student_id, year, term, SELECTED))
        rules = rules_for(year)
        return {
            "year": year,
            "term": term,
            "items": [outcome_view(d, selected) for d in docs],
            "selected": len(selected),
            "selection_cap": rules.national_outcomes_per_semester,
            "performance_ids": self.store.holders(school, student_id, year, 0, PERFORMANCES),
            "performance_cap": rules.performances_per_year,
        }

    @rpc
    def purge_students(self, school_id: str, student_ids: list[str], dry_run: bool = True) -> dict:
        """Retention purge of archived students' outcomes (the backup service checks retention first)."""
        school = self._archive_school(Permission.SCHOOL_ARCHIVE_PURGE, school_id)
        wanted = sorted({s for s in student_ids if isinstance(s, str)})
        not_archived = sorted(set(wanted) - self.store.archived.among(school))
        if self.store.has_outcomes_of(school, not_archived):
            raise Conflict("未封存的學生不能清除：" + "、".join(not_archived[:20]), "not archived: " + ", ".join(not_archived[:20]))
        counts = self.store.purge(school, wanted, bool(dry_run))
        return {"service": "certification", "counts": counts, "dry_run": bool(dry_run)}

    # --- helpers ---

    def _student(self, permission: Permission) -> Caller:
        caller = require(self.caller, permission)
        if not caller.student_id:
            raise StudentNotLinked("此帳號未連結學生資料，請洽註冊組", "this account is not linked to a student record")
        return caller

    def _find(self, school: str, outcome_id: str) -> dict[str, Any]:
        doc = self.store.get(school, outcome_id) if isinstance(outcome_id, str) else None
        if doc is None:
            raise OutcomeNotFound("找不到此學習成果", "outcome not found")
        return doc

    def _own(self, caller: Caller, outcome_id: str) -> dict[str, Any]:
        doc = self._find(caller.require_school(), outcome_id)
        if doc["student_id"] != caller.student_id:
            raise OutcomeNotFound("找不到此學習成果", "outcome not found")
        return doc

    def _proxies(self, caller: Caller) -> list[dict[str, Any]]:
        """Whom the caller stands in for (代理), as named."""
        return self.store.proxies_of(caller.require_school(), proxy_id=caller.user_id)

    def _acting_for(self, caller: Caller, doc: dict[str, Any], proxies: list[dict[str, Any]] | None = None) -> str:
        proxies = self._proxies(caller) if proxies is None else proxies
        on_behalf = domain.acting_for(caller.user_id, doc["teacher_ids"], proxies, utcnow())
        if on_behalf is None:
            raise NotCourseTeacher("找不到此學習成果", "outcome not found")
        return on_behalf

    def _may_read(self, caller: Caller, doc: dict[str, Any]) -> bool:
        if caller.has(Role.REGISTRAR) or (caller.student_id and doc["student_id"] == caller.student_id):
            return True
        if caller.has(Role.TEACHER):
            proxies = self.store.proxies_of(caller.require_school(), proxy_id=caller.user_id)
            if domain.acting_for(caller.user_id, doc["teacher_ids"], proxies, utcnow()):
                return True
        return caller.has(Role.HOMEROOM) and doc.get("class_code") in self._homeroom_classes(caller)

    def _homeroom_classes(self, caller: Caller) -> set[str]:
        return self.peers.homeroom_classes(caller.user_id)

    def _own_class(self, caller: Caller, class_code: str) -> None:
        if class_code not in self._homeroom_classes(caller):
            raise OutcomeNotFound("找不到此班級", "no such class of yours")

    def _move(
        self,
        caller: Caller,
        doc: dict[str, Any],
        action: Action,
        changes: dict[str, Any],
        *,
        on_behalf: str | None = None,
        reason: str | None = None,
        comment: str | None = None,
        deadlines: Callable[[int, int], Deadlines] | None = None,
    ) -> dict:
        """Apply one transition atomically; repeats are harmless; deadlines and audit on every change."""
        school = caller.require_school()
        self._refuse_archived(school, doc["student_id"])
        current = State(doc["state"])
        if domain.is_repeat(current, action):
            return outcome_view(doc)
        target = domain.next_state(current, action)
        now = utcnow()
        domain.check_action_deadline((deadlines or self.peers.deadlines)(doc["year"], doc["term"]), action, now)
        entry = {
            "at": now,
            "by": caller.user_id,
            "action": action.value,
            "state": target.value,
            "on_behalf_of": on_behalf,
            "reason": reason,
            "comment": comment,
        }
        after = self.store.transition(school, doc["_id"], current.value, {**changes, "state": target.value, "updated_at": now}, entry)
        if after is None:  # changed under us (a concurrent click): judge against what is there now
            fresh = self._find(school, doc["_id"])
            if domain.is_repeat(State(fresh["state"]), action):
                return outcome_view(fresh)
            domain.next_state(State(fresh["state"]), action)
            return self._move(caller, fresh, action, changes, on_behalf=on_behalf, reason=reason, comment=comment, deadlines=deadlines)
        self.changes.record(school, caller, f"outcome.{action.value}", doc["_id"], before=doc, after=after)
        return outcome_view(after)

    def _notify(self, school: str, recipients: list[str], caller: Caller, message: str) -> None:
        now = utcnow()
        docs = [
            {"_id": uuid.uuid4().hex, "recipient": r, "at": now, "from": caller.user_id, "from_name": caller.username, "message": message}
            for r in recipients
        ]
        if docs:
            self.store.notify(school, docs)

    # reminders by e-mail: who has work left this semester

    @rpc
    def reminder_figures(self, school_id: str, year: int, term: int) -> dict:
        """Per student: outcomes this semester by where they stand (done: submitted or certified; drafts not
        yet submitted; returned for revision); per teacher: outcomes waiting for them and the oldest's time."""
        require_system(self.caller, "plans reminders")
        students: dict[str, dict[str, int]] = defaultdict(lambda: {"done": 0, "drafts": 0, "returned": 0})
        teachers: dict[str, dict[str, Any]] = {}
        for doc in self.store.of_term(school_id, int(year), int(term)):
            state = doc["state"]
            if state in (State.SUBMITTED.value, State.CERTIFIED.value):
                students[doc["student_id"]]["done"] += 1
            elif state in (State.DRAFT.value, State.RETURNED.value):
                students[doc["student_id"]]["drafts" if state == State.DRAFT.value else "returned"] += 1
            if state == State.SUBMITTED.value:
                submitted = doc.get("submitted_at")
                for teacher in doc["teacher_ids"]:
                    row = teachers.setdefault(teacher, {"waiting": 0, "oldest": None})
                    row["waiting"] += 1
                    if submitted and (row["oldest"] is None or submitted < row["oldest"]):
                        row["oldest"] = submitted
        return {
            "students": dict(students),
            "teachers": {t: {**r, "oldest": r["oldest"].isoformat() if r["oldest"] else None} for t, r in teachers.items()},
        }

    # working group figures

    @rpc
    def first_uploads(self, year: int, term: int) -> dict[str, str]:
        """student_id -> when the student first created an outcome this semester (withdrawn ones do not count)."""
        caller = require(self.caller, Permission.SCHOOL_COMPLETION_READ)
        first: dict[str, Any] = {}
        for doc in self.store.created_in_term(caller.require_school(), int(year), int(term)):
            if doc["state"] != State.WITHDRAWN.value and (doc["student_id"] not in first or doc["created_at"] < first[doc["student_id"]]):
                first[doc["student_id"]] = doc["created_at"]
        return {k: v.isoformat() for k, v in sorted(first.items())}
