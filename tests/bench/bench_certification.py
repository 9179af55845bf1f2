"""A teacher bulk-certifies 500 outcomes: certification's own cost (state change, history, audit per
outcome) on the real MongoDB-protocol server, with records and evidence as in-memory peers.

Baseline in the same run: 500 bare single-document updates of the same collection, so the figure
reads as "how many plain writes one certification costs".
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from nameko.testing.services import worker_factory

from services.certification.service import CertificationService
from services.certification.store import CertificationStore
from shared.caller import Caller
from shared.config import Settings
from shared.mongo import make_client
from shared.roles import Role
from tests.certification.test_service import SCHOOL, FakeEvidence, FakeRecords

COUNT = 500


def bench_bulk_certify(count: int = COUNT) -> dict[str, Any]:
    client = make_client(Settings())
    name = f"b{secrets.token_hex(4)}_certification_bench"
    store = CertificationStore(client[name])
    store.ensure_indexes()
    records, evidence = FakeRecords(), FakeEvidence()
    store.set_school_cap(SCHOOL, 6)
    ids = []
    try:
        for n in range(count):  # 500 students, one outcome each, all submitted to teacher t1
            sid = f"bench{n}"
            records.takes[sid] = ["c1"]
            evidence.owner[f"{sid}-e"] = sid
            student = Caller(f"u-{sid}", sid, SCHOOL, frozenset({Role.STUDENT}), student_id=sid)
            service = worker_factory(CertificationService, store=store, caller=student, records=records, evidence=evidence)
            outcome = service.create_outcome({"course_id": "c1", "summary": "成果", "evidence_ids": [f"{sid}-e"]})
            service.submit_outcome(outcome["id"])
            ids.append(outcome["id"])
        teacher = Caller("t1", "t1", SCHOOL, frozenset({Role.TEACHER}))
        service = worker_factory(CertificationService, store=store, caller=teacher, records=records, evidence=evidence)
        started = time.perf_counter()
        result = service.bulk_certify({"outcome_ids": ids})
        bulk_seconds = time.perf_counter() - started
        assert len(result["certified"]) == count, result["failed"]
        started = time.perf_counter()
        for outcome_id in ids:
            store.outcomes.update_one(SCHOOL, {"_id": outcome_id}, {"$set": {"bench": True}})
        baseline_seconds = time.perf_counter() - started
    finally:
        client.drop_database(name)
        client.close()
    return {
        "outcomes": count,
        "bulk_certify_seconds": round(bulk_seconds, 2),
        "per_outcome_ms": round(bulk_seconds / count * 1000, 2),
        "baseline_plain_updates_seconds": round(baseline_seconds, 2),
        "ratio_to_plain_updates": round(bulk_seconds / baseline_seconds, 1),
        "note": "service-level: records and evidence are in-memory peers; each outcome is checked, locked, moved and audited",
    }
