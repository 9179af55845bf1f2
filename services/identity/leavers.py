"""Students who left (畢業/轉出) cannot log in: their accounts follow records' archive.

Records owns archiving and announces it (`records.student_archived` / `student_unarchived`); identity
disables the student accounts of leavers (marked as by archive, so undoing the archive re-enables only
those) and ends their sessions. Events can be lost (Nameko drops one whose handler raised; a queue can
be purged), and a lost one here would leave a graduate able to log in, so the accounts also converge on
records' own list of archived students: a little after the service starts, then every
`LICHENG_RECONCILE_SECONDS` (the same schedule as the other archived-students projections,
shared/archived.py).
"""

from __future__ import annotations

import logging
import time

from nameko.events import event_handler
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared.archived import RECONCILE_TICK_S, ActAsSystem
from shared.logs import log_event

log = logging.getLogger("licheng.identity.leavers")


class Leavers:
    """Mixin for IdentityService (its store, changes, settings and `_end_sessions`)."""

    records_for_reconcile = RpcProxy("records")
    act_as_system = ActAsSystem()
    _last_reconcile: float | None = None

    @event_handler("records", "student_archived")
    def on_student_archived(self, payload: dict) -> None:
        """A student who left (畢業/轉出) can no longer log in; the registrar still reads the portfolio."""
        self._leavers(payload["school_id"], list(payload.get("student_ids") or []), leaving=True)

    @event_handler("records", "student_unarchived")
    def on_student_unarchived(self, payload: dict) -> None:
        self._leavers(payload["school_id"], list(payload.get("student_ids") or []), leaving=False)

    def _leavers(self, school_id: str, student_ids: list[str], leaving: bool) -> list[str]:
        action = "account.disabled_by_archive" if leaving else "account.enabled_by_unarchive"
        changed = self.store.disable_for_leavers(school_id, student_ids, leaving) if student_ids else []
        self._children_left(school_id, student_ids, leaving)  # their parents read them no more (guardians.py)
        for account_id in changed:
            self.changes.record(school_id, None, action, account_id)
            if leaving:
                self._end_sessions(school_id, account_id, None, "archived")
        return changed

    # Ticks every few seconds but converges only when due: the first tick, a little after start, is
    # the start-up reconcile (an eager timer would fire before the RPC reply queue is consumed).
    @timer(interval=RECONCILE_TICK_S)
    def reconcile_leavers(self) -> None:
        now = time.monotonic()
        last = type(self)._last_reconcile
        if last is not None and now - last < self.settings.reconcile_seconds:
            return
        type(self)._last_reconcile = now
        self.act_as_system()
        for school in [s["code"] for s in self.store.list_schools()]:
            try:
                truth = sorted({d["student_id"] for d in self.records_for_reconcile.archived_students(school)})
            except Exception as exc:  # records not up yet at a cold start: the next round catches up
                log_event(log, "leavers reconcile skipped", school_id=school, error=type(exc).__name__)
                continue
            disabled = self._leavers(school, truth, leaving=True)
            back = sorted(set(self.store.disabled_by_archive(school)) - set(truth))
            enabled = self._leavers(school, back, leaving=False)
            self._converge_children_left(school, truth)  # and the parents' links of students without accounts
            if disabled or enabled:  # a lost event, repaired: worth a line in the log
                log_event(log, "leavers' accounts repaired", school_id=school, disabled=len(disabled), enabled=len(enabled))
