"""Parents' invitations and their links to students (services/identity/guardians.py has the rules).

An invitation keeps only a keyed hash of its code; the printable slips are kept encrypted in their
batch until the one download (as the initial-password sheet is). A code is used once: the claim is a
unique insert keyed by the invitation, not a conditional update (FerretDB 1.x lets several concurrent
compare-and-set updates win, docs/architecture.md §4).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.tenancy import SchoolCollection


class GuardianStore:
    def __init__(self, db: Database) -> None:
        self.invitations = SchoolCollection(db["guardian_invitations"])
        self.claims = SchoolCollection(db["guardian_invitation_claims"])  # one per used invitation
        self.batches = SchoolCollection(db["guardian_invitation_batches"])  # the slips until printed
        self.links = SchoolCollection(db["guardianships"])

    def ensure_indexes(self) -> None:
        # District-wide: a code names one invitation of one school, whichever school's parent types it.
        self.invitations.raw.create_index([("code_hash", 1)], unique=True, name="code_unique")
        self.invitations.create_index([("student_id", 1), ("created_at", -1)])
        self.invitations.create_index([("class_code", 1), ("created_at", -1)])
        self.links.create_index([("parent_id", 1), ("student_id", 1)], unique=True, name="one_link")
        self.links.create_index([("student_id", 1)])

    # invitations

    def add_invitations(self, school_id: str, docs: list[dict[str, Any]]) -> None:
        self.invitations.insert_many(school_id, docs)

    def invitation_by_hash(self, code_hash: str) -> dict[str, Any] | None:
        return self.invitations.raw.find_one({"code_hash": code_hash})

    def invitation(self, school_id: str, invitation_id: str) -> dict[str, Any] | None:
        return self.invitations.find_one(school_id, {"_id": invitation_id})

    def invitations_of_student(self, school_id: str, student_id: str) -> list[dict[str, Any]]:
        return self.invitations.find(school_id, {"student_id": student_id}, sort=[("created_at", -1)], limit=50)

    def invitations_of_class(self, school_id: str, class_code: str) -> list[dict[str, Any]]:
        return self.invitations.find(school_id, {"class_code": class_code}, sort=[("created_at", -1)], limit=500)

    def claim(self, school_id: str, invitation_id: str, at: datetime) -> bool:
        """True for the one redemption that wins the code."""
        try:
            self.claims.insert_one(school_id, {"_id": invitation_id, "at": at})
        except DuplicateKeyError:
            return False
        return True

    def release(self, school_id: str, invitation_id: str) -> None:
        """A claim whose account could not be opened (its username taken meanwhile): the code is usable again."""
        self.claims.delete_one(school_id, {"_id": invitation_id})

    def mark_used(self, school_id: str, invitation_id: str, changes: dict[str, Any]) -> None:
        self.invitations.update_one(school_id, {"_id": invitation_id}, {"$set": changes})

    def revoke(self, school_id: str, invitation_id: str, changes: dict[str, Any]) -> bool:
        return bool(self.invitations.update_one(school_id, {"_id": invitation_id, "used_at": None}, {"$set": changes}))

    # the printable slips

    def keep_sheet(self, school_id: str, doc: dict[str, Any]) -> None:
        self.batches.insert_one(school_id, doc)

    def take_sheet(self, school_id: str, batch_id: str, handed_out: dict[str, Any]) -> dict[str, Any] | None:
        """The slips leave the batch in the same write that marks them handed out: only one download gets them."""
        doc = self.batches.find_one(school_id, {"_id": batch_id, "state": "ready"})
        if doc is None:
            return None
        taken = self.batches.update_one(school_id, {"_id": batch_id, "state": "ready"}, {"$set": handed_out, "$unset": {"sheet_enc": ""}})
        return doc if taken else None

    def batch(self, school_id: str, batch_id: str) -> dict[str, Any] | None:
        return self.batches.find_one(school_id, {"_id": batch_id})

    # links

    def add_link(self, school_id: str, doc: dict[str, Any]) -> bool:
        """False when this parent is linked to this student already."""
        try:
            self.links.insert_one(school_id, doc)
        except DuplicateKeyError:
            return False
        return True

    def link(self, school_id: str, parent_id: str, student_id: str) -> dict[str, Any] | None:
        return self.links.find_one(school_id, {"parent_id": parent_id, "student_id": student_id})

    def link_by_id(self, school_id: str, link_id: str) -> dict[str, Any] | None:
        return self.links.find_one(school_id, {"_id": link_id})

    def links_of_parent(self, school_id: str, parent_id: str) -> list[dict[str, Any]]:
        return self.links.find(school_id, {"parent_id": parent_id}, sort=[("linked_at", 1)], limit=20)

    def links_of_student(self, school_id: str, student_id: str) -> list[dict[str, Any]]:
        return self.links.find(school_id, {"student_id": student_id}, sort=[("linked_at", 1)], limit=20)

    def remove_link(self, school_id: str, link_id: str) -> bool:
        return self.links.delete_one(school_id, {"_id": link_id}) > 0

    def mark_left(self, school_id: str, student_ids: list[str], left: bool) -> None:
        """A student who left (畢業/轉出): the parents' links stay, unreadable, until an undone archive."""
        for student_id in student_ids:
            self.links.raw.update_many({"school_id": school_id, "student_id": student_id}, {"$set": {"student_left": left}})

    def students_marked_left(self, school_id: str) -> set[str]:
        return {d["student_id"] for d in self.links.find(school_id, {"student_left": True}, projection={"student_id": 1})}
