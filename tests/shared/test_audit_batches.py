"""Batch audit entries on the real database: an import chunk's 1,000 rows kept as one entry, yet each
record's history reads as if its row had been written alone, and a purge removes exactly its rows."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from shared.audit import batch_entry, entry
from shared.audit_store import AuditTrail
from shared.caller import Caller
from shared.clock import utcnow
from shared.config import Settings
from shared.mongo import make_client
from shared.tenancy import SchoolCollection

SCHOOL = "930002"
SECOND = timedelta(seconds=1)
OTHER = "930003"
CALLER = Caller(user_id="u-registrar", username="registrar", school_id=SCHOOL, roles=frozenset(), request_id="r1")


@pytest.fixture()
def trail():
    client = make_client(Settings())
    name = f"t{secrets.token_hex(4)}_audit"
    audit = AuditTrail(SchoolCollection(client[name]["audit"]))
    audit.ensure_indexes()
    yield audit
    client.drop_database(name)
    client.close()


def _rows(ids: list[str], action: str = "grades.import_create") -> list[dict]:
    return [entry(CALLER, action, rid, after={"student_id": f"s{n}", "score": 60 + n % 40}) for n, rid in enumerate(ids)]


def test_a_records_history_finds_its_row_in_a_batch_of_a_thousand(trail):
    ids = [f"g{i:04d}" for i in range(1000)]
    trail.record_many(SCHOOL, [batch_entry(CALLER, "grades.import_rows", "imp-1", _rows(ids))])
    later = entry(CALLER, "grades.update", "g0500", before={"score": 60}, after={"score": 61})
    later["at"] += SECOND
    trail.record_many(SCHOOL, [later])

    history = trail.list(SCHOOL, target="g0500")
    assert [e["action"] for e in history] == ["grades.update", "grades.import_create"]
    assert history[1]["after"] == {"student_id": "s500", "score": 80} and history[1]["actor"] == "u-registrar"
    assert trail.list(SCHOOL, target="g9999") == []
    assert trail.list(OTHER, target="g0500") == []  # another school's trail holds nothing of it


def test_the_latest_acts_show_a_batch_as_one_entry_without_its_rows(trail):
    trail.record_many(SCHOOL, [batch_entry(CALLER, "grades.import_rows", "imp-2", _rows(["a", "b", "c"]))])
    [act] = trail.list(SCHOOL)
    assert (act["action"], act["target"], act["count"]) == ("grades.import_rows", "imp-2", 3)
    assert "rows" not in act and "targets" not in act


def test_forgetting_targets_removes_their_rows_and_entries_only(trail):
    trail.record_many(
        SCHOOL,
        [
            batch_entry(CALLER, "grades.import_rows", "imp-3", _rows(["x1", "x2", "keep"])),
            batch_entry(CALLER, "grades.import_rows", "imp-4", _rows(["x1"], "grades.import_update")),
            {**entry(CALLER, "grades.update", "x2"), "at": utcnow() + SECOND},
            {**entry(CALLER, "grades.update", "keep"), "at": utcnow() + SECOND},
        ],
    )
    assert trail.forget_targets(SCHOOL, ["x1", "x2"], dry_run=True) == 4
    assert len(trail.list(SCHOOL, target="x1")) == 2  # a dry run changes nothing

    assert trail.forget_targets(SCHOOL, ["x1", "x2"]) == 4
    assert trail.list(SCHOOL, target="x1") == [] and trail.list(SCHOOL, target="x2") == []
    assert [e["action"] for e in trail.list(SCHOOL, target="keep")] == ["grades.update", "grades.import_create"]
    acts = trail.list(SCHOOL)
    assert [(a["target"], a.get("count")) for a in acts if a["action"] == "grades.import_rows"] == [("imp-3", 1)]  # imp-4 emptied: gone


def test_forgetting_many_targets_reads_the_batches_once(trail):
    ids = [f"m{i:04d}" for i in range(300)]
    trail.record_many(SCHOOL, [batch_entry(CALLER, "grades.import_rows", "imp-5", _rows(ids + ["stay"]))])
    assert trail.forget_targets(SCHOOL, ids) == 300
    assert [e["target"] for e in trail.list(SCHOOL, target="stay")] == ["stay"]
