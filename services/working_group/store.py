"""The working group's MongoDB repository: members, meetings, trainings, commendation proposals."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from shared.audit_store import AuditTrail
from shared.tenancy import SchoolCollection


class WorkingGroupStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.members = SchoolCollection(db["members"])
        self.meetings = SchoolCollection(db["meetings"])
        self.trainings = SchoolCollection(db["trainings"])
        self.proposals = SchoolCollection(db["proposals"])
        self.audit = AuditTrail(SchoolCollection(db["audit"]))

    def ensure_indexes(self) -> None:
        self.members.create_index([("position", 1), ("subject", 1)])
        self.meetings.create_index([("year", 1), ("term", 1), ("held_on", 1)])
        self.trainings.create_index([("year", 1), ("kind", 1)])
        self.proposals.create_index([("year", 1), ("term", 1)])
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    # members
    def list_members(self, school_id: str) -> list[dict[str, Any]]:
        return self.members.find(school_id, {}, sort=[("position", 1), ("subject", 1), ("term_starts", 1)])

    def get_member(self, school_id: str, member_id: str) -> dict[str, Any] | None:
        return self.members.find_one(school_id, {"_id": member_id}) if isinstance(member_id, str) else None

    def add_member(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.members.insert_one(school_id, doc)

    def update_member(self, school_id: str, member_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return self.members.find_one_and_update(school_id, {"_id": member_id}, {"$set": changes})

    # meetings
    def add_meeting(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.meetings.insert_one(school_id, doc)

    def get_meeting(self, school_id: str, meeting_id: str) -> dict[str, Any] | None:
        return self.meetings.find_one(school_id, {"_id": meeting_id}) if isinstance(meeting_id, str) else None

    def list_meetings(self, school_id: str, year: int | None = None) -> list[dict[str, Any]]:
        filter_ = {"year": year} if year is not None else {}
        return self.meetings.find(school_id, filter_, sort=[("held_on", -1)])

    # trainings
    def add_training(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.trainings.insert_one(school_id, doc)

    def get_training(self, school_id: str, training_id: str) -> dict[str, Any] | None:
        return self.trainings.find_one(school_id, {"_id": training_id}) if isinstance(training_id, str) else None

    def update_training(self, school_id: str, training_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return self.trainings.find_one_and_update(school_id, {"_id": training_id}, {"$set": changes})

    def list_trainings(self, school_id: str, year: int, kind: str | None = None) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {"year": year}
        if kind:
            filter_["kind"] = kind
        return self.trainings.find(school_id, filter_, sort=[("planned_on", 1)])

    # commendation proposals
    def add_proposal(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.proposals.insert_one(school_id, doc)

    def get_proposal(self, school_id: str, proposal_id: str) -> dict[str, Any] | None:
        return self.proposals.find_one(school_id, {"_id": proposal_id}) if isinstance(proposal_id, str) else None

    def list_proposals(self, school_id: str) -> list[dict[str, Any]]:
        return self.proposals.find(school_id, {}, sort=[("created_at", -1)], limit=50)

    def decide(self, school_id: str, proposal_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Compare-and-set: only an undecided proposal takes the group's decision (None otherwise)."""
        return self.proposals.find_one_and_update(school_id, {"_id": proposal_id, "status": "proposed"}, {"$set": changes})
