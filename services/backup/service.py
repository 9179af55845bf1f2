"""BackupService: the registrar's view of backups (the work itself runs as `python -m services.backup`)."""

from __future__ import annotations

from pathlib import Path

from nameko.rpc import rpc

from services.backup import engine
from services.backup.runs import BackupRuns, freshness
from shared.caller import Caller
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider


def _json(run: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.items()}


class BackupService(HealthMixin):
    name = "backup"

    store: BackupRuns = StoreProvider(engine.BACKUP_DB_SUFFIX, BackupRuns)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()

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
