"""BackupService: the registrar's 資料定期備份與封存 — backups (the work runs as `python -m services.backup`)
and the archive of students who left: retention setting, portfolio download, retention purge.

The purge orchestrates; each service removes its own data (evidence objects first, records last, so a
purge stopped halfway is finished by running it again: every step is idempotent). A real purge is
queued and run by this service's own event handler, so no RPC reply timeout limits its size.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import RpcProxy, rpc

from services.backup import engine, retention
from services.backup.archive_store import ArchiveStore
from services.backup.errors import NotPurgeable, PurgeNotFound
from services.backup.runs import BackupRuns, freshness
from services.records.contract import RecordsPeer
from shared.caller import Caller
from shared.clock import to_taipei, utcnow
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.tenancy import acting_school
from shared.validation import parse

PURGE_CHUNK = 200
PURGE_REQUESTED = "purge_requested"  # {"school_id", "purge_id"}: the backup service runs it itself


def _json(run: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.items() if k != "_id"}


class BackupService(HealthMixin):
    name = "backup"

    store: BackupRuns = StoreProvider(engine.BACKUP_DB_SUFFIX, BackupRuns)
    archive: ArchiveStore = StoreProvider("archive", ArchiveStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    records: RecordsPeer = RpcProxy("records")
    certification = RpcProxy("certification")
    evidence = RpcProxy("evidence")
    dispatch = EventDispatcher()

    @rpc
    def health(self) -> dict:
        """Ready when the database answers; a stale backup is reported (an alarm), not a failure."""
        self.store.ping()
        return {"service": self.name, "ok": True, "backup": freshness(self.store.last_good(), self.settings.backup_interval_hours)}

    @rpc
    def status(self) -> dict:
        require(self.caller, Permission.SCHOOL_BACKUPS_READ)
        return {
            **freshness(self.store.last_good(), self.settings.backup_interval_hours),
            "runs": [_json(r) for r in self.store.recent()],
            "retained": engine.list_backups(Path(self.settings.backup_dir)),
        }

    # --- archive ---

    def _school(self, permission: Permission, school_id: str | None = None) -> tuple[Caller, str]:
        """The caller's school; the system caller (the purge command) names one."""
        caller = require(self.caller, permission)
        return caller, acting_school(caller, school_id)

    def _retention_years(self, school: str) -> int:
        years = self.archive.retention_years(school)
        return self.settings.archive_retention_years if years is None else years

    @rpc
    def archive_settings(self, school_id: str | None = None) -> dict:
        """Retention years (the school's or the default) and how many archived students are due or waiting."""
        _, school = self._school(Permission.SCHOOL_ARCHIVE_READ, school_id)
        years = self._retention_years(school)
        due, waiting = retention.split_due(self.records.archived_students(school), years, to_taipei(utcnow()).date())
        return {
            "retention_years": years,
            "default_years": self.settings.archive_retention_years,
            "school_setting": self.archive.retention_years(school) is not None,
            "archived": len(due) + len(waiting),
            "due": len(due),
            "next_due": min((w["purge_after"] for w in waiting), default=None),
        }

    @rpc
    def set_archive_settings(self, payload: dict) -> dict:
        caller, school = self._school(Permission.SCHOOL_ARCHIVE_WRITE)
        request = parse(retention.RetentionIn, payload)
        self.archive.set_retention(school, request.retention_years, caller.user_id, utcnow())
        return self.archive_settings()

    @rpc
    def portfolio(self, student_id: str) -> dict:
        """One student's whole portfolio for the registrar's download: records, statements, outcomes and
        the files with short download links (the gateway streams the ZIP; bytes never pass through RPC)."""
        _, school = self._school(Permission.SCHOOL_ARCHIVE_READ)
        data = self.records.portfolio_of_student(school, student_id)
        data["outcomes"] = self.certification.outcomes_of_student(school, student_id)
        data["files"] = self.evidence.files_of_student(school, student_id)
        return data

    @rpc
    def purge(self, payload: dict, school_id: str | None = None) -> dict:
        """Purge archived portfolios past retention (dry run: only the list and the counts). The report
        names students by student number only and is kept (real runs) as the audit document."""
        caller, school = self._school(Permission.SCHOOL_ARCHIVE_PURGE, school_id)
        request = parse(retention.PurgeIn, payload)
        years = self._retention_years(school)
        today = to_taipei(utcnow()).date()
        due, waiting = retention.split_due(self.records.archived_students(school), years, today)
        if request.student_ids is not None:
            named = set(request.student_ids)
            early = sorted(w["student_id"] for w in waiting if w["student_id"] in named)
            unknown = sorted(named - {s["student_id"] for s in due + waiting})
            if early or unknown:
                raise NotPurgeable(
                    "、".join(
                        part
                        for part in (
                            f"尚未超過保存期限（離校後 {years} 年）：{'、'.join(early[:20])}" if early else "",
                            f"不是已封存的學生：{'、'.join(unknown[:20])}" if unknown else "",
                        )
                        if part
                    ),
                    f"not past retention ({years} years after leaving): {', '.join(early[:20]) or '-'}; "
                    f"not archived: {', '.join(unknown[:20]) or '-'}",
                )
            due = [d for d in due if d["student_id"] in named]
        report = {
            "purge_id": uuid.uuid4().hex,
            "dry_run": request.dry_run,
            "status": "running" if request.dry_run else "queued",
            "started_at": utcnow(),
            "by": caller.user_id,
            "by_name": caller.username,
            "retention_years": years,
            "students": [{k: d[k] for k in ("student_id", "status", "left_on", "purge_after")} for d in due],
            "student_count": len(due),
        }
        if request.dry_run:
            return _report({**report, **self._run_purge(school, [d["student_id"] for d in due], True)})
        # A real purge runs in an event handler (no RPC reply timeout however large the year that left);
        # the report is written first, so the registrar follows it with GET .../purges/<id>.
        self.archive.start_purge(school, report)
        self.dispatch(PURGE_REQUESTED, {"school_id": school, "purge_id": report["purge_id"]})
        return _report(report)

    @event_handler("backup", PURGE_REQUESTED)
    def run_purge(self, payload: dict) -> None:
        school, purge_id = payload["school_id"], payload["purge_id"]
        report = self.archive.purge(school, purge_id)
        if report is None or report.get("status") == "done":
            return  # a redelivery of a finished purge changes nothing
        self.archive.finish_purge(school, purge_id, {"status": "running", "running_since": utcnow()})
        try:
            finished = self._run_purge(school, [s["student_id"] for s in report["students"]], False)
        except Exception as exc:  # recorded, never lost silently; running it again finishes it (idempotent steps)
            self.archive.finish_purge(school, purge_id, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]})
            return
        self.archive.finish_purge(school, purge_id, finished)

    def _run_purge(self, school: str, ids: list[str], dry_run: bool) -> dict:
        counts: dict[str, dict[str, int]] = {"evidence": {}, "certification": {}, "records": {}}
        for start in range(0, len(ids), PURGE_CHUNK):
            chunk = ids[start : start + PURGE_CHUNK]
            # objects and files first, records (who is archived) last: a second run finishes a broken one
            for name, proxy in (("evidence", self.evidence), ("certification", self.certification), ("records", self.records)):
                for key, value in proxy.purge_students(school, chunk, dry_run)["counts"].items():
                    counts[name][key] = counts[name].get(key, 0) + value
        return {"status": "done", "finished_at": utcnow(), "counts": counts, "totals": retention.totals(counts)}

    @rpc
    def list_purges(self) -> list[dict]:
        _, school = self._school(Permission.SCHOOL_ARCHIVE_READ)
        return [_report(d) for d in self.archive.list_purges(school)]

    @rpc
    def get_purge(self, purge_id: str, school_id: str | None = None) -> dict:
        _, school = self._school(Permission.SCHOOL_ARCHIVE_READ, school_id)
        doc = self.archive.purge(school, purge_id) if isinstance(purge_id, str) else None
        if doc is None:
            raise PurgeNotFound("找不到此清除紀錄", "purge report not found")
        return _report(doc)


def _report(doc: dict) -> dict:
    return _json({k: v for k, v in doc.items() if k != "school_id"})
