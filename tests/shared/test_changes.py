"""One change, told twice: the audit entry (scrubbed by one list) is stored before the event is emitted."""

from __future__ import annotations

from shared.audit import SCRUBBED, entry
from shared.caller import Caller
from shared.changes import Changes

CALLER = Caller("u1", "註冊組長", "S1", frozenset(), request_id="r1")


class Trail:
    """Records what an AuditTrail was asked to store (the real one needs the database)."""

    def __init__(self, log: list) -> None:
        self.log = log

    def record(self, school_id, caller, action, target, *, before=None, after=None, note=""):
        self.log.append(("audit", school_id, entry(caller, action, target, before=before, after=after, note=note)))

    def record_many(self, school_id, entries):
        self.log += [("audit", school_id, e) for e in entries]


def test_the_audit_entry_comes_before_the_event():
    log: list = []
    changes = Changes(Trail(log), lambda name, payload: log.append(("event", name, payload)))
    changes.record("S1", CALLER, "member.add", "m1", after={"name": "王"}, event=("member_added", {"id": "m1"}))
    assert [item[0] for item in log] == ["audit", "event"]
    assert log[0][2]["action"] == "member.add" and log[0][2]["actor"] == "u1" and log[0][2]["request_id"] == "r1"
    assert log[1][1:] == ("member_added", {"id": "m1"})


def test_a_batch_is_one_call_and_an_empty_batch_still_emits():
    log: list = []
    changes = Changes(Trail(log), lambda name, payload: log.append(("event", name)))
    changes.record_many("S1", [entry(CALLER, "a.create", "1"), entry(CALLER, "a.create", "2")], ("changed", {}))
    changes.record_many("S1", [], ("changed", {}))
    assert [item[0] for item in log] == ["audit", "audit", "event", "event"]


def test_audit_images_never_hold_secrets_or_the_national_id():
    image = {"_id": "x", "name": "王", "password_hash": "h", "national_id_enc": "e", "national_id_hash": "k"}
    image["national_id_masked"] = "A12****789"
    made = entry(None, "students.update", "x", before=image, after=image)
    for side in ("before", "after"):
        assert not SCRUBBED & set(made[side]) and made[side]["national_id_masked"] == "A12****789"
    assert made["actor"] == "anonymous"
