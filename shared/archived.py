"""Students who left (畢業/轉出) as another service knows them: a projection of records' events.

Records owns archiving (after leaving, a portfolio is read-only); certification and evidence keep a
small list of archived students, fed by `records.student_archived` / `student_unarchived`, to refuse
writes without asking records on every request. `ArchiveListener` is the one pair of event handlers;
the list itself and `purge_collections` (the one way a service counts, then deletes, a student's
documents) are queries, kept in shared/archived_store.py.

Events can be lost (Nameko drops one whose handler raised; a queue can be purged or a message
expire), so the projection also converges on records' own list: once when the service starts and
then every `LICHENG_RECONCILE_SECONDS`.
"""

from __future__ import annotations

import logging
import time

from nameko.events import event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.timer import timer

from shared.caller import Caller
from shared.config import Settings
from shared.logs import log_event

log = logging.getLogger("licheng.archived")
RECONCILE_TICK_S = 15  # the start-up reconcile comes this long after start


class ActAsSystem(DependencyProvider):
    """For timer entrypoints, which have no caller: makes the worker's RPCs the trusted system's."""

    def get_dependency(self, worker_ctx):
        def act_as_system() -> None:
            worker_ctx.data.update(Caller.system().to_context())

        return act_as_system


class ArchiveListener:
    """Mixin for a Nameko service whose `store.archived` is an ArchivedStudents."""

    @event_handler("records", "student_archived")
    def on_student_archived(self, payload: dict) -> None:
        self.store.archived.mark(payload["school_id"], payload.get("student_ids") or [], True)

    @event_handler("records", "student_unarchived")
    def on_student_unarchived(self, payload: dict) -> None:
        self.store.archived.mark(payload["school_id"], payload.get("student_ids") or [], False)

    identity_for_reconcile = RpcProxy("identity")
    records_for_reconcile = RpcProxy("records")
    act_as_system = ActAsSystem()

    # Ticks every few seconds but converges only when due: the first tick, a little after start, is
    # the start-up reconcile (an eager timer would fire before the RPC reply queue is consumed, and
    # its call would wait for a reply that never comes).
    _last_reconcile: float | None = None

    @timer(interval=RECONCILE_TICK_S)
    def reconcile_archived(self) -> None:
        now = time.monotonic()
        last = type(self)._last_reconcile
        if last is not None and now - last < Settings().reconcile_seconds:
            return
        type(self)._last_reconcile = now
        self.act_as_system()
        try:
            schools = [s["code"] for s in self.identity_for_reconcile.list_schools()]
        except Exception as exc:  # identity not up yet at a cold start: the next round catches up
            log_event(log, "archived reconcile skipped", service=self.name, error=type(exc).__name__)
            return
        for school in schools:
            try:
                truth = {d["student_id"] for d in self.records_for_reconcile.archived_students(school)}
            except Exception as exc:
                log_event(log, "archived reconcile failed", service=self.name, school_id=school, error=type(exc).__name__)
                continue
            added, removed = self.store.archived.converge(school, truth)
            if added or removed:
                # a lost event, repaired: worth a line in the log
                log_event(log, "archived projection repaired", service=self.name, school_id=school, added=added, removed=removed)
