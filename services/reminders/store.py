"""The reminders service's MongoDB repository: the outbox (one row per idempotency key) and opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.reminders.domain import PROBLEMS, Mail, Status
from shared.clock import utcnow
from shared.tenancy import SchoolCollection

DISTRICT = "_district"  # the outbox rows of district admins (shared/audit.py uses the same name)


class RemindersStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.outbox = SchoolCollection(db["outbox"])
        self.opt_outs = SchoolCollection(db["opt_outs"])  # one per account that stopped reminders
        self.runs = SchoolCollection(db["plan_runs"])  # one per school and day: the daily plan ran

    def ensure_indexes(self) -> None:
        self.outbox.create_index([("key", 1)], unique=True)
        self.outbox.create_index([("status", 1), ("created_at", -1)])
        self.outbox.create_index([("created_at", -1)])
        self.opt_outs.create_index([("account_id", 1)], unique=True)
        self.runs.create_index([("day", 1)], unique=True)

    def ping(self) -> None:
        self.db.command("ping")

    # the outbox

    def add(self, mails: list[Mail], unsubscribe_urls: dict[str, str]) -> list[dict[str, Any]]:
        """Rows for the mails not decided before (a key already there is left as it is); returns the new ones."""
        now = utcnow()
        added = []
        for mail in mails:
            doc = {
                "_id": mail.key,
                "key": mail.key,
                "account_id": mail.account_id,
                "to": mail.to,
                "name": mail.name,
                "reason": mail.reason.value,
                "mark": mail.mark,
                "day": mail.day.isoformat(),
                "subject": mail.subject,
                "body": mail.body,
                "unsubscribe_url": unsubscribe_urls.get(mail.account_id, ""),
                "status": Status.QUEUED.value,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            try:
                added.append(self.outbox.insert_one(mail.school_id, doc))
            except (DuplicateKeyError, BulkWriteError):  # decided before (another run, another process)
                continue
        return added

    def get(self, school_id: str, key: str) -> dict[str, Any] | None:
        return self.outbox.find_one(school_id, {"_id": key})

    def claim(self, school_id: str, key: str) -> dict[str, Any] | None:
        """queued/retrying -> sending, counting the attempt; None when someone else has it or it is done."""
        for status in (Status.QUEUED, Status.RETRYING):
            claimed = self.outbox.find_one_and_update(
                school_id,
                {"_id": key, "status": status.value},
                {"$set": {"status": Status.SENDING.value, "updated_at": utcnow()}, "$inc": {"attempts": 1}},
            )
            if claimed is not None:
                return claimed
        return None

    def settle(self, school_id: str, key: str, status: Status, detail: str = "", *, forget_body: bool = False) -> None:
        """`forget_body`: the mail carried a secret (a parent's invitation code) it no longer needs."""
        now = utcnow()
        fields: dict[str, Any] = {"status": status.value, "detail": detail[:500], "updated_at": now}
        if forget_body:
            fields["body"] = ""
        if status is Status.SENT:
            fields["sent_at"] = now
        self.outbox.update_one(school_id, {"_id": key}, {"$set": fields})

    def stalled(self, school_id: str, before: datetime) -> list[dict[str, Any]]:
        """Rows decided but never taken (their message lost): the reconcile publishes them again."""
        rows = self.outbox.find(school_id, {"status": Status.QUEUED.value}, projection={"_id": 1, "updated_at": 1})
        return [r for r in rows if r["updated_at"] < before]

    def touch(self, school_id: str, key: str) -> None:
        self.outbox.update_one(school_id, {"_id": key, "status": Status.QUEUED.value}, {"$set": {"updated_at": utcnow()}})

    def log(self, school_id: str, statuses: list[str] | None, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        filter_: dict[str, Any] = {}
        if statuses:  # one status an equality (FerretDB hands PostgreSQL only those), several a set
            filter_ = {"status": statuses[0]} if len(statuses) == 1 else {"status": {"$in": statuses}}
        rows = self.outbox.find(school_id, filter_, sort=[("created_at", -1)], skip=skip, limit=limit, projection={"body": 0})
        return rows, self.outbox.count(school_id, filter_)

    def problems_since(self, school_id: str, since: datetime) -> int:
        """Bounces, failures and mails cut short decided since `since` (the registrar's home page warns)."""
        rows = self.outbox.find(school_id, {"status": {"$in": sorted(s.value for s in PROBLEMS)}}, projection={"created_at": 1})
        return sum(1 for r in rows if r["created_at"] >= since)

    def counts(self, school_id: str) -> dict[str, int]:
        return {s.value: self.outbox.count(school_id, {"status": s.value}) for s in Status}

    def schools_in_outbox(self) -> list[str]:
        return sorted(row["_id"] for row in self.outbox.raw.aggregate([{"$group": {"_id": "$school_id"}}]))

    # opt-outs

    def opted_out(self, school_id: str, account_id: str) -> bool:
        return self.opt_outs.find_one(school_id, {"account_id": account_id}) is not None

    def opted_out_of(self, school_id: str) -> set[str]:
        return {d["account_id"] for d in self.opt_outs.find(school_id, {}, projection={"account_id": 1})}

    def set_opt_out(self, school_id: str, account_id: str, out: bool, via: str) -> None:
        if out:
            try:
                self.opt_outs.insert_one(
                    school_id, {"_id": f"{school_id}:{account_id}", "account_id": account_id, "at": utcnow(), "via": via}
                )
            except DuplicateKeyError:  # already out
                pass
        else:
            self.opt_outs.delete_one(school_id, {"account_id": account_id})

    # the daily plan

    def start_run(self, school_id: str, day: str) -> bool:
        """True for the one process that plans this school's day (the unique index decides)."""
        try:
            self.runs.insert_one(school_id, {"_id": f"{school_id}:{day}", "day": day, "at": utcnow()})
            return True
        except DuplicateKeyError:
            return False
