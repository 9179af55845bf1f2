"""CertificationService through worker_factory with a real FerretDB store; records and evidence are
replaced by small in-memory peers (a unit test of one service, as docs/architecture.md §9 allows)."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.certification.errors import (
    BadEvidence,
    CapReached,
    CourseNotFound,
    DeadlinePassed,
    InvalidTransition,
    NotSelectable,
    OutcomeNotFound,
    PerformanceNotFound,
    SelectionLocked,
)
from services.certification.service import CertificationService
from services.certification.store import CertificationStore
from shared.caller import Caller
from shared.errors import Forbidden, ValidationFailed
from shared.roles import Role
from tests.support.stores import temporary_store

SCHOOL = "A00001"
FUTURE = datetime.now(UTC) + timedelta(days=30)
PAST = datetime.now(UTC) - timedelta(days=1)


class FakeRecords:
    def __init__(self) -> None:
        self.deadlines = {"student_upload": FUTURE.isoformat(), "teacher_certify": FUTURE.isoformat(), "internal": FUTURE.isoformat()}
        self.courses = {
            "c1": {"id": "c1", "name": "國文", "year": 114, "term": 1, "teacher_ids": ["t1"], "class_code": "101"},
            "c2": {"id": "c2", "name": "數學", "year": 114, "term": 1, "teacher_ids": ["t2"], "class_code": "101"},
            "c3": {"id": "c3", "name": "專題", "year": 114, "term": 2, "teacher_ids": ["t1"], "class_code": "101"},
        }
        self.takes = {"s1": ["c1", "c2"], "s2": ["c1"]}

    # the records RPCs certification uses, with their real signatures
    def get_course(self, school_id, course_id):
        return self.courses.get(course_id)

    def list_courses_of_student(self, school_id, student_id, year, term):
        return [self.courses[c] for c in self.takes.get(student_id, [])]

    def outcome_context(self, school_id, student_id, course_id):
        course = self.get_course(school_id, course_id)
        if course is None:
            return {"course": None, "takes": False, "semester": None, "student": self.get_student(school_id, student_id)}
        taken = self.list_courses_of_student(school_id, student_id, course["year"], course["term"])
        semester = self.get_semester(school_id, course["year"], course["term"])
        return {"course": course, "takes": course in taken, "semester": semester, "student": self.get_student(school_id, student_id)}

    def get_semester(self, school_id, year, term):
        d = self.deadlines
        return {
            "year": year,
            "term": term,
            "student_upload_deadline": d["student_upload"],
            "teacher_certification_deadline": d["teacher_certify"],
            "internal_deadline": d["internal"],
        }

    def current_semester(self, school_id):
        return {"year": 114, "term": 1}

    def students_of_class(self, school_id, class_code):
        return (
            [{"student_id": "s1", "name": "甲", "seat_no": 1}, {"student_id": "s2", "name": "乙", "seat_no": 2}]
            if class_code == "101"
            else []
        )

    def get_student(self, school_id, student_id):
        return {"student_id": student_id, "class_code": "101"}

    def performances_of_student(self, school_id, student_id, year=None):
        return [{"id": f"{student_id}-p{i}", "year": 114, "category": "2"} for i in range(12)]

    def homeroom_classes(self, school_id, teacher_id):
        return ["101"] if teacher_id == "h1" else []


class FakeEvidence:
    def __init__(self) -> None:
        self.owner = {f"e{i}": "s1" for i in range(1, 9)} | {"e9": "s2"}
        self.locked: list[str] = []
        self.granted: list[tuple] = []

    def describe(self, ids, school_id=None):
        return [{"id": i, "student_id": self.owner[i], "state": "stored"} for i in ids if i in self.owner]

    def lock(self, ids, reason, school_id=None):
        self.locked.extend(ids)

    def grant_access(self, ids, account_ids, school_id=None):
        self.granted.append((tuple(ids), tuple(account_ids)))


@pytest.fixture(scope="module")
def store():
    with temporary_store(CertificationStore, "certification_svc") as store:
        yield store


@pytest.fixture
def peers():
    return FakeRecords(), FakeEvidence()


def student(sid: str = "s1") -> Caller:
    return Caller(f"u-{sid}", sid, SCHOOL, frozenset({Role.STUDENT}), student_id=sid)


def teacher(tid: str = "t1") -> Caller:
    return Caller(tid, tid, SCHOOL, frozenset({Role.TEACHER}))


def svc(store, peers, caller):
    records, evidence = peers
    return worker_factory(CertificationService, store=store, caller=caller, records=records, evidence=evidence)


def _fresh_student() -> str:
    return "s" + secrets.token_hex(3)


def new_student(peers, evidence: int = 3) -> tuple[str, list[str]]:
    """A student of class 101 taking c1, with their own stored evidence (each test its own, so caps never meet)."""
    sid = _fresh_student()
    peers[0].takes[sid] = ["c1"]
    ids = [f"{sid}-e{i}" for i in range(evidence)]
    peers[1].owner.update({i: sid for i in ids})
    return sid, ids


def test_the_full_path_draft_submit_return_resubmit_certify_select_lock(store, peers):
    sid = _fresh_student()
    peers[0].takes[sid] = ["c3"]  # term 2: locking its selection must not touch the other tests' term
    peers[1].owner.update({"x1": sid, "x2": sid})
    me = svc(store, peers, student(sid))
    outcome = me.create_outcome({"course_id": "c3", "summary": "讀書心得報告", "evidence_ids": ["x1"]})
    assert outcome["state"] == "draft" and peers[1].granted[-1] == (("x1",), ("t1",))
    assert me.submit_outcome(outcome["id"])["state"] == "submitted"
    returned = svc(store, peers, teacher()).return_outcome(outcome["id"], {"reason": "missing_file"})
    assert returned["state"] == "returned"
    me.edit_outcome(outcome["id"], {"evidence_ids": ["x1", "x2"]})
    assert me.submit_outcome(outcome["id"])["state"] == "submitted"
    certified = svc(store, peers, teacher()).certify_outcome(outcome["id"])
    assert certified["state"] == "certified" and certified["certified_by"] == "t1" and {"x1", "x2"} <= set(peers[1].locked)
    assert me.select_outcome(outcome["id"])["selected"] == [outcome["id"]]
    registrar = Caller("r1", "registrar", SCHOOL, frozenset({Role.REGISTRAR}))
    svc(store, peers, registrar).lock_selection(114, 2)
    with pytest.raises(SelectionLocked):
        me.unselect_outcome(outcome["id"])
    assert any(o["id"] == outcome["id"] for o in svc(store, peers, registrar).selected_outcomes(114, 2))
    actions = [h["action"] for h in svc(store, peers, registrar).get_outcome(outcome["id"])["history"]]
    assert actions == ["create", "submit", "return", "edit", "submit", "certify"]


def test_repeats_are_harmless(store, peers):
    sid, ev = new_student(peers)
    me = svc(store, peers, student(sid))
    outcome = me.create_outcome({"course_id": "c1", "summary": "重複點擊", "evidence_ids": [ev[0]]})
    me.submit_outcome(outcome["id"])
    assert me.submit_outcome(outcome["id"])["state"] == "submitted"
    first = svc(store, peers, teacher()).certify_outcome(outcome["id"])
    again = svc(store, peers, teacher()).certify_outcome(outcome["id"])
    assert first["history"] == again["history"]


@pytest.mark.parametrize(
    "payload,error",
    [
        ({"course_id": "c1", "summary": "字" * 101, "evidence_ids": ["e1"]}, ValidationFailed),
        ({"course_id": "c1", "summary": "沒有檔案", "evidence_ids": []}, ValidationFailed),
        ({"course_id": "c1", "summary": "別人的檔案", "evidence_ids": ["e9"]}, BadEvidence),
        ({"course_id": "c9", "summary": "沒有這門課", "evidence_ids": ["e1"]}, CourseNotFound),
    ],
)
def test_bad_outcomes_are_refused(store, peers, payload, error):
    with pytest.raises(error):
        svc(store, peers, student()).create_outcome(payload)


def test_a_course_the_student_does_not_take_is_refused(store, peers):
    with pytest.raises(Forbidden):
        svc(store, peers, student("s2")).create_outcome({"course_id": "c2", "summary": "沒修", "evidence_ids": ["e9"]})


def test_wrong_teacher_expired_proxy_and_another_student_are_refused(store, peers):
    sid, ev = new_student(peers)
    me = svc(store, peers, student(sid))
    outcome = me.create_outcome({"course_id": "c1", "summary": "權限測試", "evidence_ids": [ev[0]]})
    me.submit_outcome(outcome["id"])
    with pytest.raises(OutcomeNotFound):
        svc(store, peers, teacher("t2")).certify_outcome(outcome["id"])
    now = datetime.now(UTC)
    svc(store, peers, teacher("t1")).name_proxy(
        {"proxy_id": "t9", "starts_at": (now - timedelta(days=3)).isoformat(), "ends_at": (now - timedelta(days=1)).isoformat()}
    )
    with pytest.raises(OutcomeNotFound):
        svc(store, peers, teacher("t9")).certify_outcome(outcome["id"])
    with pytest.raises(OutcomeNotFound):
        svc(store, peers, student("s2")).withdraw_outcome(outcome["id"])
    with pytest.raises(OutcomeNotFound):
        svc(store, peers, Caller("r1", "r", "B00002", frozenset({Role.TEACHER}))).certify_outcome(outcome["id"])


def test_a_proxy_certifies_in_the_teachers_name_within_the_period(store, peers):
    sid, ev = new_student(peers)
    me = svc(store, peers, student(sid))
    outcome = me.create_outcome({"course_id": "c1", "summary": "代理認證", "evidence_ids": [ev[0]]})
    me.submit_outcome(outcome["id"])
    now = datetime.now(UTC)
    registrar = Caller("r1", "registrar", SCHOOL, frozenset({Role.REGISTRAR}))
    svc(store, peers, registrar).name_proxy(
        {
            "teacher_id": "t1",
            "proxy_id": "t8",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
        }
    )
    certified = svc(store, peers, teacher("t8")).certify_outcome(outcome["id"])
    assert certified["certified_by"] == "t8" and certified["certified_for"] == "t1"
    with pytest.raises(Forbidden):
        svc(store, peers, teacher("t2")).name_proxy(
            {"teacher_id": "t1", "proxy_id": "t7", "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()}
        )


def test_deadlines_name_themselves(store, peers):
    sid, ev = new_student(peers)
    me = svc(store, peers, student(sid))
    outcome = me.create_outcome({"course_id": "c1", "summary": "期限", "evidence_ids": [ev[0]]})
    me.submit_outcome(outcome["id"])
    peers[0].deadlines["teacher_certify"] = PAST.isoformat()
    with pytest.raises(DeadlinePassed) as info:
        svc(store, peers, teacher()).certify_outcome(outcome["id"])
    assert "教師認證截止時間" in info.value.detail
    peers[0].deadlines["student_upload"] = PAST.isoformat()
    with pytest.raises(DeadlinePassed):
        me.create_outcome({"course_id": "c1", "summary": "太晚了", "evidence_ids": [ev[0]]})


def test_school_cap_and_national_selection_cap_hold_under_parallel_requests(store, peers):
    sid = _fresh_student()
    peers[0].takes[sid] = ["c1"]
    peers[1].owner.update({f"p{i}": sid for i in range(10)})
    registrar = Caller("r1", "registrar", SCHOOL, frozenset({Role.REGISTRAR}))
    svc(store, peers, registrar).set_school_cap({"cap": 5})
    results: list[object] = []

    def create(i: int) -> None:
        try:
            results.append(
                svc(store, peers, student(sid)).create_outcome({"course_id": "c1", "summary": f"第{i}件", "evidence_ids": [f"p{i}"]})
            )
        except CapReached as exc:
            results.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    created = [r for r in results if isinstance(r, dict)]
    assert len(created) == 5 and sum(isinstance(r, CapReached) for r in results) == 3
    for outcome in created:
        svc(store, peers, student(sid)).submit_outcome(outcome["id"])
        svc(store, peers, teacher()).certify_outcome(outcome["id"])
    picks: list[object] = []

    def select(outcome_id: str) -> None:
        try:
            picks.append(svc(store, peers, student(sid)).select_outcome(outcome_id))
        except Exception as exc:  # recorded, so an unexpected error fails the assertions below
            picks.append(exc)

    threads = [threading.Thread(target=select, args=(o["id"],)) for o in created]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(isinstance(p, CapReached) for p in picks) == 2 and sum(isinstance(p, dict) for p in picks) == 3
    assert len(store.holders(SCHOOL, sid, 114, 1, "selected:outcomes")) == 3
    svc(store, peers, registrar).set_school_cap({"cap": 6})


def test_uncertified_outcomes_cannot_be_selected_nor_certified_twice_over_a_return(store, peers):
    sid, ev = new_student(peers)
    me = svc(store, peers, student(sid))
    outcome = me.create_outcome({"course_id": "c1", "summary": "未認證", "evidence_ids": [ev[0]]})
    with pytest.raises(NotSelectable):
        me.select_outcome(outcome["id"])
    me.submit_outcome(outcome["id"])
    svc(store, peers, teacher()).certify_outcome(outcome["id"])
    with pytest.raises(InvalidTransition):
        svc(store, peers, teacher()).return_outcome(outcome["id"], {"reason": "wrong_course"})
    with pytest.raises(ValidationFailed):
        svc(store, peers, teacher()).return_outcome(outcome["id"], {"reason": "other"})
    with pytest.raises(ValidationFailed):
        svc(store, peers, teacher()).return_outcome(outcome["id"], {"reason": "poor_quality"})


def test_bulk_certify_checks_each_and_supervision_views(store, peers):
    sid, ev = new_student(peers)
    me = svc(store, peers, student(sid))
    ids = []
    for n, evidence in enumerate(ev[:2]):
        outcome = me.create_outcome({"course_id": "c1", "summary": f"批次{n}", "evidence_ids": [evidence]})
        me.submit_outcome(outcome["id"])
        ids.append(outcome["id"])
    queue = svc(store, peers, teacher()).teacher_queue()
    assert queue["waiting"] >= 2 and queue["courses"][0]["course_name"] == "國文"
    result = svc(store, peers, teacher()).bulk_certify({"outcome_ids": [*ids, "nope"]})
    assert set(result["certified"]) == set(ids) and result["failed"]["nope"]["code"] == "outcome_not_found"
    homeroom = Caller("h1", "homeroom", SCHOOL, frozenset({Role.HOMEROOM}))
    progress = svc(store, peers, homeroom).class_progress("101")
    assert {r["student_id"] for r in progress["students"]} == {"s1", "s2"}
    assert svc(store, peers, homeroom).remind_class("101", {"message": "請在週五前上傳學習成果"})["sent"] == 2
    assert svc(store, peers, student("s2")).my_notifications()[0]["message"] == "請在週五前上傳學習成果"
    with pytest.raises(OutcomeNotFound):
        svc(store, peers, Caller("h2", "other", SCHOOL, frozenset({Role.HOMEROOM}))).class_progress("101")
    completion = svc(store, peers, Caller("r1", "r", SCHOOL, frozenset({Role.REGISTRAR}))).completion(114, 1)
    assert completion["per_teacher"]["t1"]["certified"] >= 2 and completion["turnaround"]["t1"]["count"] >= 2


def test_bulk_certify_locks_only_what_it_certifies_in_one_call_and_asks_the_deadlines_once(store, peers, monkeypatch):
    sid, ev = new_student(peers, evidence=4)
    me = svc(store, peers, student(sid))
    submitted = []
    for evidence in ev[:2]:
        outcome = me.create_outcome({"course_id": "c1", "summary": "待認證", "evidence_ids": [evidence]})
        submitted.append(me.submit_outcome(outcome["id"])["id"])
    draft = me.create_outcome({"course_id": "c1", "summary": "草稿", "evidence_ids": [ev[2]]})["id"]
    done = me.create_outcome({"course_id": "c1", "summary": "已認證", "evidence_ids": [ev[3]]})["id"]
    me.submit_outcome(done)
    svc(store, peers, teacher()).certify_outcome(done)
    records, evidence = peers
    calls: list[tuple] = []
    monkeypatch.setattr(evidence, "lock", lambda ids, reason, school_id=None: calls.append(("lock", tuple(ids))))
    asked = records.get_semester
    monkeypatch.setattr(records, "get_semester", lambda *a: calls.append(("deadlines", a[1:])) or asked(*a))
    result = svc(store, peers, teacher()).bulk_certify({"outcome_ids": [*submitted, draft, done]})
    assert result["certified"] == [*submitted, done]  # the certified one again: unchanged, not an error
    assert result["failed"][draft]["code"] == "invalid_transition"
    assert calls == [("deadlines", (114, 1)), ("lock", (ev[0], ev[1]))]  # not the draft's file, nor the certified one's
    assert {svc(store, peers, student(sid)).get_outcome(i)["state"] for i in submitted} == {"certified"}


def test_performances_ticked_at_most_ten_per_year_only_ones_own(store, peers):
    sid, _ = new_student(peers)
    me = svc(store, peers, student(sid))
    for i in range(10):
        me.select_performance(f"{sid}-p{i}")
    assert len(me.select_performance(f"{sid}-p0")["selected"]) == 10  # a repeat changes nothing
    with pytest.raises(CapReached):
        me.select_performance(f"{sid}-p10")
    me.unselect_performance(f"{sid}-p3")
    assert len(me.select_performance(f"{sid}-p10")["selected"]) == 10
    with pytest.raises(PerformanceNotFound):
        me.select_performance("someone-elses-p1")
