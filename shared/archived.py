"""Students who left (畢業/轉出) as another service knows them: a projection of records' events.

Records owns archiving (after leaving, a portfolio is read-only); certification and evidence keep a
small list of archived students, fed by `records.student_archived` / `student_unarchived`, to refuse
writes without asking records on every request. `ArchiveListener` is the one pair of event handlers;
the list itself and `purge_collections` (the one way a service counts, then deletes, a student's
documents) are queries, kept in shared/archived_store.py.
"""

from __future__ import annotations

from nameko.events import event_handler


class ArchiveListener:
    """Mixin for a Nameko service whose `store.archived` is an ArchivedStudents."""

    @event_handler("records", "student_archived")
    def on_student_archived(self, payload: dict) -> None:
        self.store.archived.mark(payload["school_id"], payload.get("student_ids") or [], True)

    @event_handler("records", "student_unarchived")
    def on_student_unarchived(self, payload: dict) -> None:
        self.store.archived.mark(payload["school_id"], payload.get("student_ids") or [], False)
