"""The rush's audit: what the clients were told (the ledger) against what the system holds.

Pure: the facts are fetched first (stored objects' SHA-256, outcomes, upload items, the national
side's acceptances) and this module only compares, so a test can hand it one lost item and see it
named. "Lost" means acknowledged to a client and then not there (or not byte-identical), or sent to
the national side other than exactly once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Ack:
    """An upload the system acknowledged (complete answered 200) with the checksum the client sent."""

    school: str
    student_id: str
    evidence_id: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Selected:
    school: str
    student_id: str
    outcome_id: str


@dataclass
class Ledger:
    """Everything the load generator was acknowledged; threads append under one lock."""

    acks: list[Ack] = field(default_factory=list)
    submitted: list[tuple[str, str, str]] = field(default_factory=list)  # (school, student_id, outcome_id)
    selected: list[Selected] = field(default_factory=list)
    certified: list[tuple[str, str]] = field(default_factory=list)  # (school, outcome_id) a bulk certify answered certified
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, value: object) -> None:
        with self.lock:
            getattr(self, kind).append(value)


@dataclass
class Facts:
    """What the system holds, fetched after the run (through the gateway and the simulator's admin view)."""

    stored_sha256: dict[str, str | None]  # evidence id -> SHA-256 of the stored bytes (None: not found)
    outcomes_found: set[str]  # outcome ids the students can read back
    upload_items: dict[str, list[dict]]  # school -> items of the national upload(s) (state, student_id, key)
    national_acceptances: dict[str, dict[str, int]]  # school -> idempotency key -> acceptances held
    selected_at_start: dict[str, set[str]]  # school -> student ids whose selection existed when the upload started
    # outcome id -> its state read back, and the outcome ids the students' own lists show selected
    # (None: not read, not checked)
    outcome_states: dict[str, str] | None = None
    selected_found: set[str] | None = None
    # school -> roster files (SHA-256) the national side holds under more than one key: the same
    # roster accepted twice although every item's own key was accepted once
    roster_repeats: dict[str, dict[str, int]] = field(default_factory=dict)


def audit(ledger: Ledger, facts: Facts) -> dict:
    """Returns {"lost": n, "findings": [...], "checked": {...}}; every finding names what was lost and why."""
    findings: list[dict] = []
    for ack in ledger.acks:
        stored = facts.stored_sha256.get(ack.evidence_id)
        if stored is None:
            findings.append({"what": "upload", "id": ack.evidence_id, "student": ack.student_id, "why": "acknowledged but not stored"})
        elif stored != ack.sha256:
            findings.append({"what": "upload", "id": ack.evidence_id, "student": ack.student_id, "why": "stored bytes differ (SHA-256)"})
    for school, student, outcome_id in ledger.submitted:
        if outcome_id not in facts.outcomes_found:
            findings.append({"what": "outcome", "id": outcome_id, "student": student, "school": school, "why": "submitted but not found"})
    if facts.outcome_states is not None:
        for school, outcome_id in ledger.certified:
            state = facts.outcome_states.get(outcome_id)
            if state != "certified":
                findings.append({"what": "certification", "id": outcome_id, "school": school, "why": f"certified but read back as {state}"})
    if facts.selected_found is not None:
        for entry in ledger.selected:
            if entry.outcome_id not in facts.selected_found:
                findings.append(
                    {
                        "what": "selection",
                        "id": entry.outcome_id,
                        "student": entry.student_id,
                        "school": entry.school,
                        "why": "selected but not stored",
                    }
                )
    duplicates = 0
    items_checked = 0
    for school, items in facts.upload_items.items():
        accepted_students = set()
        keys = facts.national_acceptances.get(school, {})
        for item in items:
            items_checked += 1
            state = item.get("state")
            if state == "accepted":
                accepted_students.add(item.get("student_id"))
                held = keys.get(item.get("key", ""), 0) if item.get("key") else None
                if held is not None and held != 1:
                    findings.append(
                        {"what": "national item", "id": item["id"], "school": school, "why": f"accepted {held} times by the national side"}
                    )
            elif state == "rejected":
                if not item.get("reasons") and not item.get("detail"):
                    findings.append({"what": "national item", "id": item["id"], "school": school, "why": "rejected without a reason"})
            elif state != "dead":
                findings.append({"what": "national item", "id": item["id"], "school": school, "why": f"left in state {state}"})
        for student in sorted(facts.selected_at_start.get(school, set()) - accepted_students):
            # the student's own items, by state: tells a dead-lettered item from one never built
            own = sorted(f"{i.get('kind')}:{i.get('state')}" for i in items if i.get("student_id") == student)
            findings.append(
                {
                    "what": "selection",
                    "id": student,
                    "school": school,
                    "why": "selected but never accepted by the national side",
                    "items": own,
                }
            )
        for key, held in keys.items():
            if held > 1:
                duplicates += held - 1
                findings.append({"what": "national key", "id": key, "school": school, "why": f"accepted {held} times"})
    for school, repeats in facts.roster_repeats.items():
        for sha, held in repeats.items():
            duplicates += held - 1
            findings.append({"what": "national roster", "id": sha, "school": school, "why": f"the same file accepted {held} times"})
    return {
        "lost": len(findings),
        "findings": findings,
        "checked": {
            "uploads": len(ledger.acks),
            "outcomes": len(ledger.submitted),
            "selected": sum(len(s) for s in facts.selected_at_start.values()),
            "national_items": items_checked,
            "certified": len(ledger.certified),
        },
        "national_accepted_more_than_once": duplicates,
        "verdict": "0 lost"
        if not findings
        else f"{len(findings)} lost: " + "; ".join(f"{f['what']} {f['id']} ({f['why']})" for f in findings[:10]),
    }
