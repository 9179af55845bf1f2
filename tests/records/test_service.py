"""RecordsService through nameko.testing's worker_factory, with a real FerretDB store."""

from __future__ import annotations

import secrets

import pytest
from nameko.testing.services import worker_factory

from services.records.errors import Archived, RecordExists, StudentNotFound, WindowClosed
from services.records.service import RecordsService
from services.records.store import RecordsStore
from shared.caller import Caller
from shared.config import Settings
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.roles import Role
from tests.support.stores import temporary_store

SETTINGS = Settings(jwt_secret="j" * 48, field_key="field-key-for-tests")
SCHOOL = "S" + secrets.token_hex(3)[:5].upper()


def caller(*roles: Role, school: str = SCHOOL, user: str = "u1", student_id: str | None = None) -> Caller:
    return Caller(user, user, school, frozenset(roles), student_id=student_id)


@pytest.fixture(scope="module")
def store():
    with temporary_store(RecordsStore, "records_svc") as store:
        yield store


def service(store: RecordsStore, who: Caller | None) -> RecordsService:
    return worker_factory(RecordsService, store=store, caller=who, settings=SETTINGS)


@pytest.fixture(scope="module")
def seeded(store):
    registrar = service(store, caller(Role.REGISTRAR, user="reg"))
    registrar.create_semester(
        {"year": 113, "term": 2, "starts_on": "2025-02-01", "ends_on": "2025-07-31", "closing_ceremony": "2025-07-10"}
    )
    registrar.save_record(
        "students",
        {
            "student_id": "S1",
            "national_id": "A123456789",
            "name": "王",
            "birth_date": "2009-01-01",
            "gender": "1",
            "class_code": "101",
            "seat_no": 1,
        },
    )
    return registrar


def test_internal_rpcs_need_the_system_or_a_caller_of_that_school(store, seeded):
    assert service(store, Caller.system()).get_student(SCHOOL, "S1")["national_id_masked"] == "A12****789"
    assert service(store, caller(Role.TEACHER)).get_student(SCHOOL, "S1")["student_id"] == "S1"
    with pytest.raises(Unauthenticated):
        service(store, None).get_student(SCHOOL, "S1")
    with pytest.raises(NotFound):  # another school's data is simply not there
        service(store, caller(Role.REGISTRAR, school="OTHER1")).get_student(SCHOOL, "S1")
    with pytest.raises(Forbidden):
        service(store, caller(Role.TEACHER)).roster_students(SCHOOL)
    roster = service(store, caller(Role.REGISTRAR)).roster_students(SCHOOL)
    assert roster[0]["national_id"] == "A123456789"


def test_saving_emits_records_changed_and_is_idempotent_by_natural_key(store, seeded):
    svc = service(store, caller(Role.ACTIVITIES))
    body = {"year": 113, "term": 2, "student_id": "S1", "club": "圍棋社"}
    first = svc.save_record("clubs", body)
    svc.dispatch.assert_called_once()
    name, payload = svc.dispatch.call_args[0]
    assert name == "changed" and payload["type"] == "clubs" and payload["student_id"] == "S1" and payload["ids"] == [first["record"]["id"]]
    again = service(store, caller(Role.ACTIVITIES)).save_record("clubs", body)
    assert again["created"] is False and again["record"]["id"] == first["record"]["id"]


def test_unknown_students_and_closed_windows_are_refused(store, seeded):
    svc = service(store, caller(Role.DISCIPLINE))
    with pytest.raises(StudentNotFound):
        svc.save_record("attendance", {"year": 113, "term": 2, "student_id": "NOPE", "absence_type": "病假", "periods": 1})
    # without national or internal deadlines the default window is open-ended; an internal deadline in the past closes it
    seeded.update_semester("113-2", {"internal_deadline": "2025-06-30"})
    with pytest.raises(WindowClosed):
        svc.save_record("attendance", {"year": 113, "term": 2, "student_id": "S1", "absence_type": "病假", "periods": 1})


def test_duplicate_semester_is_a_conflict(store, seeded):
    with pytest.raises(RecordExists):
        seeded.create_semester(
            {"year": 113, "term": 2, "starts_on": "2025-02-01", "ends_on": "2025-07-31", "closing_ceremony": "2025-07-10"}
        )


def test_a_graduate_is_read_only_for_every_role(store, seeded):
    seeded.save_record(
        "students",
        {
            "student_id": "G1",
            "national_id": "A800000014",
            "name": "畢",
            "birth_date": "2006-01-01",
            "gender": "2",
            "class_code": "301",
            "seat_no": 1,
            "status": "畢業",
        },
    )
    seeded.update_semester("113-2", {"internal_deadline": "2099-06-30"})
    with pytest.raises(Archived):
        service(store, caller(Role.ACTIVITIES)).save_record("clubs", {"year": 113, "term": 2, "student_id": "G1", "club": "圍棋社"})
    attendance = {"year": 113, "term": 2, "student_id": "G1", "absence_type": "病假", "periods": 1}
    with pytest.raises(Archived):
        service(store, caller(Role.DISCIPLINE)).save_record("attendance", attendance)
    with pytest.raises(Archived):  # the registrar too: undo by unarchive (with a reason), never by a quiet edit
        seeded.save_record(
            "students",
            {
                "student_id": "G1",
                "national_id": "A800000014",
                "name": "改",
                "birth_date": "2006-01-01",
                "gender": "2",
                "class_code": "301",
                "seat_no": 1,
                "status": "畢業",
            },
        )


def test_saving_a_leaving_status_archives_and_announces_it(store, seeded):
    body = {
        "student_id": "G2",
        "national_id": "A800000023",
        "name": "轉",
        "birth_date": "2006-01-01",
        "gender": "2",
        "class_code": "301",
        "seat_no": 2,
    }
    seeded.save_record("students", body)
    svc = service(store, caller(Role.REGISTRAR, user="reg"))
    record = svc.save_record("students", {**body, "status": "轉出"})["record"]
    assert record["left_on"] and record["archived_by"] == "reg"
    names = [c[0][0] for c in svc.dispatch.call_args_list]
    assert "student_archived" in names
    again = service(store, caller(Role.REGISTRAR, user="reg"))
    assert again.save_record("students", {**body, "status": "轉出"})["created"] is False  # unchanged: no refusal
    with pytest.raises(Archived):
        again.save_record("students", {**body, "status": "轉出", "name": "改名"})
    assert [s["student_id"] for s in again.students_of_class(SCHOOL, "301")] == []


def test_an_import_that_stops_mid_write_says_where_and_the_same_file_again_finishes_it(store, seeded, monkeypatch):
    """Nameko acknowledges an event whose handler raised: a job cut by an error (not a kill) must not read
    執行中 for ever. It ends 'failed' naming the rows written; the same file again writes the rest once."""
    from services.records import imports

    rows = [{"學年度": "113", "學期": "2", "學號": "S1", "社團名稱": f"第{n}社"} for n in range(6)]
    svc = service(store, caller(Role.ACTIVITIES, user="act"))
    job = svc.start_import("clubs", rows, None, None)
    monkeypatch.setattr(imports, "CHUNK", 2)
    real, calls = store.bulk_upsert, []

    def failing_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "bulk_upsert", failing_on_the_second_chunk)
    service(store, caller(Role.ACTIVITIES, user="act")).run_import({"school_id": SCHOOL, "import_id": job["import_id"]})
    stopped = svc.get_import(job["import_id"])
    assert (stopped["status"], stopped["processed"]) == ("failed", 2)
    assert "已寫入 2 / 6 列" in stopped["errors"][0]["message"] and "same file again" in stopped["errors"][0]["message_en"]
    monkeypatch.setattr(store, "bulk_upsert", real)
    again = svc.start_import("clubs", rows, None, None)
    assert again["import_id"] != job["import_id"]  # a stopped job is not the answer to the same file
    service(store, caller(Role.ACTIVITIES, user="act")).run_import({"school_id": SCHOOL, "import_id": again["import_id"]})
    finished = svc.get_import(again["import_id"])
    assert (finished["status"], finished["inserted"], finished["unchanged"]) == ("done", 4, 2)
