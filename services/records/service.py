"""RecordsService: the calendar and windows, unit records by the division table, imports, statements,
competitions, archiving, and the queries other services make.

Entrypoints only: each builds the call's Context and hands it to the module that does the work
(calendar, units, imports, students, competitions, statements, archiving, peers).
"""

from __future__ import annotations

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc

from services.records import (
    archiving,
    calendar,
    competitions,
    coverage,
    events,
    imports,
    peers,
    pickers,
    problem_reports,
    statements,
    students,
    units,
)
from services.records.access import Context
from services.records.problem_report_store import ProblemReportStore
from services.records.schemas import AuditEntry
from services.records.store import RecordsStore
from shared.caller import Caller
from shared.changes import ChangesMixin
from shared.mongo import StoreProvider
from shared.permissions import Permission
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider


class RecordsService(ChangesMixin, HealthMixin):
    name = "records"

    store: RecordsStore = StoreProvider("records", RecordsStore)
    reports: ProblemReportStore = StoreProvider("records", ProblemReportStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    dispatch = EventDispatcher()

    @property
    def ctx(self) -> Context:
        return Context(self.store, self.caller, self.changes, self.settings.field_key)

    # --- calendar ---

    @rpc
    def rules(self) -> dict:
        return calendar.catalogue(self.ctx)

    @rpc
    def create_semester(self, payload: dict) -> dict:
        return calendar.create_semester(self.ctx, payload)

    @rpc
    def update_semester(self, semester_id: str, payload: dict) -> dict:
        return calendar.update_semester(self.ctx, semester_id, payload)

    @rpc
    def list_semesters(self) -> list[dict]:
        return calendar.list_semesters(self.ctx)

    @rpc
    def semester(self, semester_id: str) -> dict:
        return calendar.semester(self.ctx, semester_id)

    @rpc
    def reopen_window(self, semester_id: str, payload: dict) -> dict:
        """The registrar reopens one record type's window for one named student, with a reason (audited)."""
        return calendar.reopen_window(self.ctx, semester_id, payload)

    @rpc
    def list_reopenings(self, semester_id: str) -> list[dict]:
        return calendar.list_reopenings(self.ctx, semester_id)

    # --- records of the division table ---

    @rpc
    def list_records(self, type_key: str, filters: dict | None = None, page: int = 1, per_page: int = 50, names: bool = True) -> dict:
        return units.list_records(self.ctx, type_key, filters, page, per_page, names)

    @rpc
    def coverage(self, type_key: str, year: int, term: int | None = None) -> dict:
        """How many enrolled students (whom the caller reaches) have a record of the type in the semester, per class."""
        return coverage.coverage(self.ctx, type_key, year, term)

    @rpc
    def get_record(self, type_key: str, record_id: str) -> dict:
        return units.get_record(self.ctx, type_key, record_id)

    @rpc
    def save_record(self, type_key: str, payload: dict) -> dict:
        """Create, or update the record with the same natural key (idempotent)."""
        return units.save_record(self.ctx, type_key, payload)

    @rpc
    def replace_record(self, type_key: str, record_id: str, payload: dict) -> dict:
        return units.replace_record(self.ctx, type_key, record_id, payload)

    @rpc
    def delete_record(self, type_key: str, record_id: str) -> None:
        units.delete_record(self.ctx, type_key, record_id)

    # --- imports ---

    @rpc
    def start_import(self, type_key: str, rows: list, import_id: str | None = None, file_sha256: str | None = None) -> dict:
        """Keep the file's rows and queue the import job; the answer is the job (poll get_import).

        The same file (same SHA-256) again: the earlier job, with already_imported when it is done.
        """
        return imports.start_import(self.ctx, type_key, rows, import_id, file_sha256)

    @event_handler("records", events.IMPORT_QUEUED)
    def run_import(self, payload: dict) -> None:
        """The import job, off the request path: all rows checked, then written; any error imports nothing."""
        imports.run_import(self.ctx, payload.get("school_id", ""), payload.get("import_id", ""))

    @rpc
    def get_import(self, import_id: str) -> dict:
        return imports.get_import(self.ctx, import_id)

    # --- students: the semester re-check ---

    @rpc
    def recheck_students(self, payload: dict) -> dict:
        return students.recheck(self.ctx, payload)

    # --- competitions ---

    @rpc
    def publish_competition(self, competition_id: str) -> dict:
        return competitions.publish(self.ctx, competition_id)

    @rpc
    def claim_competition(self, competition_id: str, payload: dict) -> dict:
        """A winner claims a published in-school result into their 多元表現 (競賽參與紀錄) without re-typing."""
        return competitions.claim(self.ctx, competition_id, payload)

    # --- statements (自傳 / 學習計畫) ---

    @rpc
    def save_statement(self, kind: str, payload: dict) -> dict:
        return statements.save(self.ctx, kind, payload)

    @rpc
    def list_statements(self, student_id: str | None = None, kind: str | None = None, all_versions: bool = False) -> list[dict]:
        return statements.list_versions(self.ctx, student_id, kind, all_versions)

    @rpc
    def check_statement(self, kind: str, payload: dict) -> dict:
        return statements.check(self.ctx, kind, payload)

    # --- audit ---

    @rpc
    def list_audit(self, target: str | None = None, limit: int = 100) -> list[dict]:
        _, school = self.ctx.school_caller(Permission.SCHOOL_RECORDS_AUDIT_READ)
        entries = self.store.audit.list(school, target=target or None, limit=min(max(1, int(limit)), 500))
        return [AuditEntry.model_validate(e).model_dump(mode="json") for e in entries]

    # --- archiving ---

    @rpc
    def archive_students(self, payload: dict) -> dict:
        """Archive named students or whole classes (e.g. a graduating year): status 畢業/轉出, left_on, event."""
        return archiving.archive_students(self.ctx, payload)

    @rpc
    def unarchive_student(self, student_id: str, payload: dict) -> dict:
        """Undo an archive set by mistake (back to 在學), with a reason; audited. Purged students are gone."""
        return archiving.unarchive_student(self.ctx, student_id, payload)

    @rpc
    def archived_students(self, school_id: str) -> list[dict]:
        """Every archived student: student_id, status, left_on (ISO date)."""
        return archiving.archived_students(self.ctx, school_id)

    @rpc
    def portfolio_of_student(self, school_id: str, student_id: str) -> dict:
        """Everything records holds for one student (masked ID), by record type, with every statement version."""
        return archiving.portfolio_of_student(self.ctx, school_id, student_id)

    @rpc
    def purge_students(self, school_id: str, student_ids: list[str], dry_run: bool = True) -> dict:
        """Remove every record of archived students (and their audit images); counts per collection.

        Refuses students that are not archived. Idempotent: a second run finds nothing more to remove.
        """
        return archiving.purge_students(self.ctx, school_id, student_ids, dry_run)

    # --- for other services (the peer contract: contract.RecordsPeer) ---

    @rpc
    def get_semester(self, school_id: str, year: int, term: int) -> dict | None:
        """A semester with its deadlines and every window (None when not created)."""
        return peers.get_semester(self.ctx, school_id, year, term)

    @rpc
    def current_semester(self, school_id: str) -> dict | None:
        return peers.current_semester(self.ctx, school_id)

    @rpc
    def window_open(self, school_id: str, year: int, term: int, record_type: str, student_id: str | None = None) -> dict:
        """Is `record_type`'s window open now (for this student, counting reopenings)? With the closing time."""
        return peers.window_open(self.ctx, school_id, year, term, record_type, student_id)

    @rpc
    def get_course(self, school_id: str, course_id: str) -> dict | None:
        """One course offering with its teacher_ids (None when unknown in that school)."""
        return peers.get_course(self.ctx, school_id, course_id)

    @rpc
    def list_courses_of_student(self, school_id: str, student_id: str, year: int, term: int) -> list[dict]:
        """The student's courses in a semester: their class's required courses plus their elective selections."""
        return peers.courses_of_student(self.ctx, school_id, student_id, year, term)

    @rpc
    def outcome_context(self, school_id: str, student_id: str, course_id: str) -> dict:
        """A new outcome's course, whether the student takes it, its semester and the student, at once."""
        return peers.outcome_context(self.ctx, school_id, student_id, course_id)

    @rpc
    def homeroom_classes(self, school_id: str, teacher_id: str) -> list[str]:
        """The class codes a teacher is now homeroom teacher (導師) of (their latest year's classes)."""
        return peers.homeroom_classes(self.ctx, school_id, teacher_id)

    @rpc
    def students_of_class(self, school_id: str, class_code: str) -> list[dict]:
        """Students now in a class (masked IDs), by seat number."""
        return peers.students_of_class(self.ctx, school_id, class_code)

    @rpc
    def get_student(self, school_id: str, student_id: str) -> dict | None:
        return peers.get_student(self.ctx, school_id, student_id)

    @rpc
    def roster_students(self, school_id: str, status: str | None = None, include_archived: bool = False) -> list[dict]:
        """Students' basic data for the national roster, WITH the clear national ID (registrar or system only).

        Active students only unless a status is named or include_archived is set (archived students left).
        """
        return peers.roster_students(self.ctx, school_id, status, include_archived)

    @rpc
    def records_of_student(
        self, school_id: str, type_key: str, student_id: str, year: int | None = None, term: int | None = None
    ) -> list[dict]:
        """Any student-linked record type for one student (e.g. performances for the national roster)."""
        return peers.records_of_student(self.ctx, school_id, type_key, student_id, year, term)

    @rpc
    def performances_of_student(self, school_id: str, student_id: str, year: int | None = None) -> list[dict]:
        return peers.records_of_student(self.ctx, school_id, "performances", student_id, year, None)

    @rpc
    def roster_data(self, school_id: str, year: int, term: int) -> dict:
        """Everything the national rosters of one semester need, in one call (2,000 students: one round trip,
        not thousands): students with clear IDs, classes, the semester's courses, grades, attendance and
        cadres, and the year's 多元表現. Registrar or system only."""
        return peers.roster_data(self.ctx, school_id, year, term)

    @rpc
    def entry_timeliness(self, school_id: str, year: int, term: int) -> dict | None:
        """Unit-entered records of a semester, counted as entered by their type's deadline or after it (the
        window's close: the internal deadline unless the registrar set the type's own window), per record type,
        per person (created_by) and per Taipei day. None when the semester is unknown."""
        return peers.entry_timeliness(self.ctx, school_id, year, term)

    @rpc
    def active_students(self, school_id: str, year: int, term: int) -> list[dict]:
        """Students now enrolled, with class, seat and whether basic data was re-checked in that semester."""
        return peers.active_students(self.ctx, school_id, year, term)

    # --- pickers ---

    @rpc
    def lookup_students(self, q: str = "", ids: list | None = None) -> list[dict]:
        """At most 20 students the caller may read, by 學號/姓名/班級; `ids` names stored 學號."""
        return pickers.students(self.ctx, q, ids)

    @rpc
    def lookup_courses(
        self, q: str = "", year: int | None = None, term: int | None = None, ids: list | None = None, codes: list | None = None
    ) -> list[dict]:
        """Course offerings by 科目/班級 (a student: only their own of the semester)."""
        return pickers.courses(self.ctx, q, year, term, ids, codes)

    # --- 問題回報 ---

    @rpc
    def report_problem(self, payload: dict) -> dict:
        return problem_reports.report(self.caller, self.reports, self.changes, payload)

    @rpc
    def my_problem_reports(self) -> list[dict]:
        return problem_reports.mine(self.caller, self.reports)

    @rpc
    def list_problem_reports(self, state: str | None = None, page: int = 1, per_page: int = 50) -> dict:
        return problem_reports.listing(self.caller, self.reports, state, page, per_page)

    @rpc
    def answer_problem_report(self, report_id: str, payload: dict) -> dict:
        return problem_reports.answer(self.caller, self.reports, self.changes, report_id, payload)
