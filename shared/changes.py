"""A change of school data is told twice: in the audit trail and as an event. `Changes` does both.

Write paths call `changes.record(...)` (one entry) or `changes.record_many(...)` (a batch in one round
trip) with the event to emit after the entries are stored, so no write path repeats the pair by hand
and every audit image is scrubbed by the one list in shared/audit.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.audit import entry
from shared.audit_store import AuditTrail
from shared.caller import Caller

Dispatch = Callable[[str, dict[str, Any]], None]
Event = tuple[str, dict[str, Any]]  # (event type, payload)


class Changes:
    def __init__(self, audit: AuditTrail, dispatch: Dispatch | None = None) -> None:
        self.audit = audit
        self.dispatch = dispatch

    def record(
        self,
        school_id: str,
        caller: Caller | None,
        action: str,
        target: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str = "",
        event: Event | None = None,
    ) -> None:
        self.audit.record(school_id, caller, action, target, before=before, after=after, note=note)
        self.emit(event)

    def record_many(self, school_id: str, entries: list[dict[str, Any]], event: Event | None = None) -> None:
        """Entries made with `entry` (shared/audit.py); the event once they are stored."""
        if entries:
            self.audit.record_many(school_id, entries)
        self.emit(event)

    def emit(self, event: Event | None) -> None:
        """An event with no audit entry of its own (e.g. a repeated announcement for late listeners)."""
        if event is not None:
            if self.dispatch is None:
                raise RuntimeError("this service emits no events")
            self.dispatch(*event)


class ChangesMixin:
    """For a Nameko service with `store.audit` (an AuditTrail) and, if it emits events, `dispatch`."""

    store: Any

    @property
    def changes(self) -> Changes:
        return Changes(self.store.audit, getattr(self, "dispatch", None))


__all__ = ["Changes", "ChangesMixin", "entry"]
