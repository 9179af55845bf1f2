"""The 勾選 (selection for the national upload): students tick certified outcomes per semester and
多元表現 per academic year, within the national caps and the school's deadlines; the registrar locks
it, a 高三 梯次 upload locks its students' year; the national upload reads what is ticked.

A mixin of CertificationService: it uses the service's store, caller, peers and audit (`changes`),
and its helpers `_student`, `_own` and `_refuse_archived`.
"""

from __future__ import annotations

from collections import defaultdict

from nameko.rpc import rpc

from services.certification import domain, events
from services.certification.domain import State
from services.certification.errors import CapReached, NotSelectable, OutcomeNotFound, PerformanceNotFound, SelectionLocked
from services.certification.views import PERFORMANCES, SELECTED, lock_reason, outcome_view
from shared.caller import Caller
from shared.clock import utcnow
from shared.national.rules import rules_for
from shared.permissions import Permission, require
from shared.roles import Role


class SelectionMixin:
    @rpc
    def select_outcome(self, outcome_id: str) -> dict:
        caller = self._student(Permission.SELF_SELECTION_WRITE)
        school = caller.require_school()
        doc = self._own(caller, outcome_id)
        self._refuse_archived(school, doc["student_id"])
        self._selection_open(school, doc["year"], doc["term"], doc["student_id"])
        if doc["state"] != State.CERTIFIED.value:
            raise NotSelectable("只能勾選已認證的學習成果", "only certified outcomes can be selected")
        cap = rules_for(doc["year"]).national_outcomes_per_semester
        result = self.store.take_slot(school, caller.student_id, doc["year"], doc["term"], SELECTED, cap, outcome_id)
        if result == "full":
            raise CapReached(f"每學期最多勾選 {cap} 件上傳至國教署", f"at most {cap} outcomes per semester go to the national database")
        if result == "added":
            self.changes.record(school, caller, "selection.add", outcome_id)
        return {"selected": self.store.holders(school, caller.student_id, doc["year"], doc["term"], SELECTED), "cap": cap}

    @rpc
    def unselect_outcome(self, outcome_id: str) -> dict:
        caller = self._student(Permission.SELF_SELECTION_WRITE)
        school = caller.require_school()
        doc = self._own(caller, outcome_id)
        self._refuse_archived(school, doc["student_id"])
        self._selection_open(school, doc["year"], doc["term"], doc["student_id"])
        if self.store.free_slot(school, caller.student_id, doc["year"], doc["term"], SELECTED, outcome_id):
            self.changes.record(school, caller, "selection.remove", outcome_id)
        return {"selected": self.store.holders(school, caller.student_id, doc["year"], doc["term"], SELECTED)}

    @rpc
    def select_performance(self, performance_id: str) -> dict:
        """Tick one of the student's 多元表現 for the national database (at most 10 per academic year)."""
        caller, school, year = self._open_performance(performance_id)
        cap = rules_for(year).performances_per_year
        result = self.store.take_slot(school, caller.student_id, year, 0, PERFORMANCES, cap, performance_id)
        if result == "full":
            raise CapReached(f"每學年最多勾選 {cap} 件多元表現", f"at most {cap} performances per academic year")
        if result == "added":
            self.changes.record(school, caller, "selection.performance.add", performance_id)
        return {"year": year, "selected": self.store.holders(school, caller.student_id, year, 0, PERFORMANCES), "cap": cap}

    @rpc
    def unselect_performance(self, performance_id: str) -> dict:
        caller, school, year = self._open_performance(performance_id)
        if self.store.free_slot(school, caller.student_id, year, 0, PERFORMANCES, performance_id):
            self.changes.record(school, caller, "selection.performance.remove", performance_id)
        return {"year": year, "selected": self.store.holders(school, caller.student_id, year, 0, PERFORMANCES)}

    @rpc
    def my_performance_selection(self, year: int | None = None) -> dict:
        """Which of the student's 多元表現 are ticked this academic year, the cap and whether it is locked."""
        caller = self._student(Permission.SELF_OUTCOMES_READ)
        school = caller.require_school()
        year = int(year) if year is not None else int(self.peers.current_term()[0])
        batch_lock = self.store.batch_lock(school, year, caller.student_id)
        year_locked = self.store.is_locked(school, year, 0)
        return {
            "year": year,
            "selected": self.store.holders(school, caller.student_id, year, 0, PERFORMANCES),
            "cap": rules_for(year).performances_per_year,
            "locked": year_locked or batch_lock is not None,
            "locked_reason": lock_reason(year_locked, batch_lock, "本學年"),
        }

    def _open_performance(self, performance_id: str) -> tuple[Caller, str, int]:
        """The student, school and academic year of one of the caller's own 多元表現, its selection still open."""
        caller = self._student(Permission.SELF_SELECTION_WRITE)
        school = caller.require_school()
        self._refuse_archived(school, caller.student_id)
        item = self.peers.own_performance(caller.student_id, performance_id) if isinstance(performance_id, str) else None
        if item is None:
            raise PerformanceNotFound("找不到此多元表現", "performance not found")
        year = int(item["year"])
        self._batch_open(school, year, caller.student_id)
        self._annual_selection_open(school, year)
        return caller, school, year

    def _annual_selection_open(self, school: str, year: int) -> None:
        if self.store.is_locked(school, year, 0):
            raise SelectionLocked("本學年多元表現勾選已由註冊組鎖定", "the registrar has locked this year's selection")
        deadline = self.peers.annual_deadline(year).selection
        domain.check_deadline(deadline, utcnow(), "勾選截止時間（校內截止）", "selection deadline (school's internal deadline)")

    @rpc
    def lock_selection(self, year: int, term: int) -> dict:
        caller = require(self.caller, Permission.SCHOOL_SELECTION_LOCK)
        school = caller.require_school()
        self.store.lock_term(school, int(year), int(term), caller.user_id, utcnow())
        event = (events.SELECTION_LOCKED, {"school_id": school, "year": int(year), "term": int(term)})
        self.changes.record(school, caller, "selection.lock", f"{year}-{term}", event=event)
        return {"year": int(year), "term": int(term), "locked": True}

    @rpc
    def lock_batch_selection(self, year: int, batch: int, student_ids: list[str]) -> dict:
        """A 高三 梯次 upload started: the 勾選 of the students it carries is locked for the year."""
        caller = require(self.caller, Permission.SCHOOL_SELECTION_LOCK)
        school = caller.require_school()
        wanted = sorted({str(s) for s in student_ids})
        self.store.lock_batch(school, int(year), int(batch), wanted, caller.user_id, utcnow())
        self.changes.record(school, caller, "selection.batch_lock", f"{year}-batch{batch}", note=f"{len(wanted)} students")
        return {"year": int(year), "batch": int(batch), "students": len(wanted)}

    @rpc
    def selected_outcomes(self, year: int, term: int) -> list[dict]:
        """For the national upload: every student's locked selection with the outcomes' details."""
        caller = require(self.caller, Permission.SCHOOL_SELECTION_LOCK)
        school = caller.require_school()
        out = []
        for slot in self.store.holders_of_term(school, int(year), int(term), SELECTED):
            doc = self.store.get(school, slot["holder"])
            if doc and doc["state"] == State.CERTIFIED.value:
                out.append(outcome_view(doc, {slot["holder"]}))
        return out

    @rpc
    def selected_performances(self, year: int) -> dict[str, list[str]]:
        """For the national upload: each student's 多元表現 ticked for the academic year (student -> ids)."""
        caller = require(self.caller, Permission.SCHOOL_SELECTION_LOCK)
        out: dict[str, list[str]] = {}
        for slot in self.store.holders_of_term(caller.require_school(), int(year), 0, PERFORMANCES):
            out.setdefault(slot["student_id"], []).append(slot["holder"])
        return out

    def _batch_open(self, school: str, year: int, student_id: str | None) -> None:
        batch = self.store.batch_locked(school, year, student_id)
        if batch is not None:
            raise SelectionLocked(
                f"本學年勾選已隨{domain.batch_label(batch)}上傳至國教署，不能再更改",
                f"this year's selection went up with 高三 batch {batch}: it is locked",
            )

    def _senior_batches(self, school: str, year: int, term: int, student_id: str) -> list[dict]:
        """A grade-3 student's 高三 梯次 of the semester: each one's internal and national deadline.
        The grades come from the rules data (the 梯次 rosters' `grades`), as the rosters choose them."""
        rules = rules_for(year)
        grades = {str(g) for b in (1, 2) for code in rules.batch_rosters(b).values() for g in rules.roster(code).grades}
        if str(self.peers.student(student_id).get("class_code", ""))[:1] not in grades:
            return []
        semester = self.records.get_semester(school, year, term) or {}
        return [
            {"batch": int(key), "label": entry["label"], "internal": entry["internal"], "national": entry["national"]}
            for key, entry in sorted((semester.get("batch_deadlines") or {}).items())
        ]

    def _selection_open(self, school: str, year: int, term: int, student_id: str | None = None) -> None:
        self._batch_open(school, year, student_id)
        if self.store.is_locked(school, year, term):
            raise SelectionLocked("本學期勾選已由註冊組鎖定", "the registrar has locked this semester's selection")
        deadlines = self.peers.deadlines(year, term)
        domain.check_deadline(deadlines.selection, utcnow(), "勾選截止時間（校內截止）", "selection deadline (school's internal deadline)")

    # printed documents: the class's 勾選確認單
    @rpc
    def class_selection(self, class_code: str, year: int | None = None, term: int | None = None) -> dict:
        """Per student of one class: every outcome of the semester (with what is ticked) and the 多元表現
        ticked for the academic year. The class's 導師 for their own class, the registrar for any."""
        caller = require(self.caller, Permission.SCHOOL_OUTCOMES_READ)
        school = caller.require_school()
        if not caller.has(Role.REGISTRAR):
            if not caller.has(Role.HOMEROOM) or not isinstance(class_code, str):
                raise OutcomeNotFound("找不到此班級", "no such class of yours")
            self._own_class(caller, class_code)
        if year is None or term is None:
            year, term = self.peers.current_term()
        year, term = int(year), int(term)
        students = self.peers.students_of_class(class_code)
        ids = [s["id"] for s in students]
        docs = self.store.of_students(school, ids, year, term)
        ticked = {slot["holder"] for slot in self.store.holders_of_term(school, year, term, SELECTED) if slot["student_id"] in ids}
        performances: dict[str, list[str]] = defaultdict(list)
        for slot in self.store.holders_of_term(school, year, 0, PERFORMANCES):
            performances[slot["student_id"]].append(slot["holder"])
        by_student: dict[str, list[dict]] = defaultdict(list)
        for doc in docs:
            by_student[doc["student_id"]].append(outcome_view(doc, ticked))
        return {
            "class_code": class_code,
            "year": year,
            "term": term,
            "locked": self.store.is_locked(school, year, term),
            "students": [{**s, "outcomes": by_student[s["id"]], "performance_ids": performances[s["id"]]} for s in students],
        }
