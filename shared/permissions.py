"""The permission table: `scope:resource:action` granted to unit roles.

This table is the only place that says which role may do what. The gateway checks it before any RPC;
services re-check the narrower scopes that only they can judge (own class, own courses, assigned
students). A permission's first word names its reach (`district`, `school`, `self`, `class`,
`course`); where a service narrows it by role, the table says how far each role reaches (`Scope`).
"""

from __future__ import annotations

from enum import StrEnum

from shared.caller import Caller
from shared.errors import Forbidden, Unauthenticated
from shared.roles import SCHOOL_ROLES, Role


class Scope(StrEnum):
    """How far a grant reaches; the narrow ones are judged by the service that owns the data."""

    DISTRICT = "district"  # above schools
    SCHOOL = "school"  # the whole school
    CLASS = "class"  # students of classes where the caller is the homeroom teacher
    ASSIGNED = "assigned"  # students assigned to the caller (課程諮詢教師)
    COURSE = "course"  # students of the caller's courses (任課教師)
    SELF = "self"  # the caller's own record
    OWN = "own"  # items the caller owns (the record type's owner field names the caller)
    CHILD = "child"  # students the caller is a guardian of (家長); the owning service asks identity


class Permission(StrEnum):
    DISTRICT_SCHOOLS_CREATE = "district:schools:create"
    DISTRICT_SCHOOLS_READ = "district:schools:read"
    DISTRICT_SCHOOL_ADMINS_CREATE = "district:school_admins:create"
    SCHOOL_ACCOUNTS_CREATE = "school:accounts:create"
    SCHOOL_ACCOUNTS_IMPORT = "school:accounts:import"
    SCHOOL_ACCOUNTS_READ = "school:accounts:read"
    SCHOOL_ACCOUNTS_UPDATE = "school:accounts:update"
    SCHOOL_AUDIT_READ = "school:audit:read"
    SELF_ACCOUNT_READ = "self:account:read"
    SELF_PASSWORD_UPDATE = "self:password:update"
    SCHOOL_BACKUPS_READ = "school:backups:read"
    # records
    SCHOOL_CALENDAR_READ = "school:calendar:read"
    SCHOOL_CALENDAR_WRITE = "school:calendar:write"
    SCHOOL_WINDOWS_REOPEN = "school:windows:reopen"
    SCHOOL_CLASSES_READ = "school:classes:read"
    SCHOOL_CLASSES_WRITE = "school:classes:write"
    SCHOOL_STUDENTS_READ = "school:students:read"
    SCHOOL_STUDENTS_WRITE = "school:students:write"
    SCHOOL_NATIONAL_ROSTER_READ = "school:national_roster:read"
    SCHOOL_COURSES_READ = "school:courses:read"
    SCHOOL_COURSES_WRITE = "school:courses:write"
    SCHOOL_SELECTIONS_READ = "school:selections:read"
    SCHOOL_SELECTIONS_WRITE = "school:selections:write"
    SCHOOL_GRADES_READ = "school:grades:read"
    SCHOOL_GRADES_WRITE = "school:grades:write"
    SCHOOL_ATTENDANCE_READ = "school:attendance:read"
    SCHOOL_ATTENDANCE_WRITE = "school:attendance:write"
    SCHOOL_CADRES_READ = "school:cadres:read"
    SCHOOL_CADRES_WRITE = "school:cadres:write"
    SCHOOL_CLUBS_READ = "school:clubs:read"
    SCHOOL_CLUBS_WRITE = "school:clubs:write"
    SCHOOL_SERVICE_LEARNING_READ = "school:service_learning:read"
    SCHOOL_SERVICE_LEARNING_WRITE = "school:service_learning:write"
    SCHOOL_COURSE_EVALUATIONS_READ = "school:course_evaluations:read"
    SCHOOL_COURSE_EVALUATIONS_WRITE = "school:course_evaluations:write"
    SCHOOL_COUNSELLING_READ = "school:counselling:read"
    SCHOOL_COUNSELLING_WRITE = "school:counselling:write"
    SCHOOL_COUNSELLOR_ASSIGNMENTS_READ = "school:counsellor_assignments:read"
    SCHOOL_COUNSELLOR_ASSIGNMENTS_WRITE = "school:counsellor_assignments:write"
    SCHOOL_COMPETITIONS_READ = "school:competitions:read"
    SCHOOL_COMPETITIONS_WRITE = "school:competitions:write"
    SCHOOL_COMPETITIONS_CLAIM = "school:competitions:claim"
    SCHOOL_PERFORMANCES_READ = "school:performances:read"
    SCHOOL_PERFORMANCES_WRITE = "school:performances:write"
    SCHOOL_STATEMENTS_READ = "school:statements:read"
    SCHOOL_STATEMENTS_WRITE = "school:statements:write"
    SCHOOL_STATEMENTS_CHECK = "school:statements:check"
    SCHOOL_RECORDS_AUDIT_READ = "school:records_audit:read"
    SCHOOL_RECORD_IMPORTS_READ = "school:record_imports:read"
    SCHOOL_RECORD_RULES_READ = "school:record_rules:read"
    # evidence
    SCHOOL_EVIDENCE_UPLOAD = "school:evidence:upload"
    SCHOOL_EVIDENCE_READ = "school:evidence:read"
    SCHOOL_EVIDENCE_DESCRIBE = "school:evidence:describe"
    SCHOOL_EVIDENCE_LOCK = "school:evidence:lock"
    SCHOOL_EVIDENCE_GRANT = "school:evidence:grant"
    SCHOOL_EVIDENCE_ADMIN = "school:evidence:admin"
    # certification
    SELF_OUTCOMES_WRITE = "self:outcomes:write"
    SELF_OUTCOMES_READ = "self:outcomes:read"
    SELF_SELECTION_WRITE = "self:selection:write"
    SELF_NOTIFICATIONS_READ = "self:notifications:read"
    SCHOOL_OUTCOMES_READ = "school:outcomes:read"
    COURSE_OUTCOMES_CERTIFY = "course:outcomes:certify"
    COURSE_QUEUE_READ = "course:queue:read"
    SCHOOL_PROXIES_WRITE = "school:proxies:write"
    CLASS_PROGRESS_READ = "class:progress:read"
    CLASS_REMINDERS_WRITE = "class:reminders:write"
    SCHOOL_COMPLETION_READ = "school:completion:read"
    SCHOOL_SELECTION_LOCK = "school:selection:lock"
    SCHOOL_CERTIFICATION_SETTINGS = "school:certification_settings:write"
    # national_upload
    SCHOOL_NATIONAL_UPLOAD = "school:national_upload:manage"
    SELF_RECEIPT_CONFIRM = "self:receipt:confirm"
    # working group
    SCHOOL_WORKING_GROUP_READ = "school:working_group:read"
    SCHOOL_WORKING_GROUP_WRITE = "school:working_group:write"
    SCHOOL_TRAININGS_READ = "school:trainings:read"
    SCHOOL_TRAININGS_WRITE = "school:trainings:write"
    SCHOOL_EFFECTIVENESS_READ = "school:effectiveness:read"
    SCHOOL_COMMENDATIONS_WRITE = "school:commendations:write"
    SCHOOL_STAFF_DIRECTORY_READ = "school:staff_directory:read"
    SCHOOL_STAFF_LOOKUP = "school:staff_lookup:read"  # pickers: staff by name (id, name, roles only)
    # archive
    SCHOOL_ARCHIVE_WRITE = "school:archive:write"
    SCHOOL_ARCHIVE_READ = "school:archive:read"
    SCHOOL_ARCHIVE_PURGE = "school:archive:purge"
    # deadline console: the district admin sees every school, a registrar their own
    DISTRICT_UPLOAD_CONSOLE_READ = "district:upload_console:read"
    # 問題回報: anyone of a school reports a problem with a page; 註冊組 answers
    SELF_PROBLEM_REPORTS_WRITE = "self:problem_reports:write"
    SCHOOL_PROBLEM_REPORTS_MANAGE = "school:problem_reports:manage"
    # reminders by e-mail: each person stops or restarts their own; 註冊組 sees what was sent and bounced
    SELF_MAIL_SETTINGS = "self:mail_settings:write"
    SCHOOL_MAIL_MANAGE = "school:mail:manage"
    # parents (家長): 註冊組 invites them per student; a parent reads its children's portfolio only
    SCHOOL_GUARDIANS_MANAGE = "school:guardians:manage"
    SELF_CHILDREN_READ = "self:children:read"
    SELF_CHILDREN_LINK = "self:children:link"
    CHILD_PORTFOLIO_READ = "child:portfolio:read"
    CHILD_CONFIRMATION_ACKNOWLEDGE = "child:confirmation:acknowledge"


def scope_of(permission: Permission) -> str:
    return permission.value.split(":", 1)[0]


_EVERYONE = frozenset(Role)
# The school's staff and students. A parent's account belongs to the school but is no member of it:
# no calendar, classes, courses, files, rules or colleagues, only its own account and its children.
_MEMBERS = SCHOOL_ROLES - {Role.PARENT}
_PARENT = frozenset({Role.PARENT})

# The roles most student data is shown to, and how far: the registrar and 輔導室 the whole school, a
# 課程諮詢教師 their assigned students, a 導師 their class, a student themself.
_STAFF_WIDE: dict[Role, Scope] = {
    Role.REGISTRAR: Scope.SCHOOL,
    Role.GUIDANCE: Scope.SCHOOL,
    Role.COUNSELOR: Scope.ASSIGNED,
    Role.HOMEROOM: Scope.CLASS,
    Role.STUDENT: Scope.SELF,
}

# Each permission once: either the roles (each at the scope the permission names), or role -> scope
# where the owning service narrows further (records' division table reads its scopes from here).
_TABLE: dict[Permission, frozenset[Role] | dict[Role, Scope]] = {
    Permission.DISTRICT_SCHOOLS_CREATE: frozenset({Role.DISTRICT_ADMIN}),
    Permission.DISTRICT_SCHOOLS_READ: frozenset({Role.DISTRICT_ADMIN}),
    Permission.DISTRICT_SCHOOL_ADMINS_CREATE: frozenset({Role.DISTRICT_ADMIN}),
    Permission.SCHOOL_ACCOUNTS_CREATE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_ACCOUNTS_IMPORT: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_ACCOUNTS_READ: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_ACCOUNTS_UPDATE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_AUDIT_READ: frozenset({Role.REGISTRAR}),
    Permission.SELF_ACCOUNT_READ: _EVERYONE,
    Permission.SELF_PASSWORD_UPDATE: _EVERYONE,
    Permission.SCHOOL_BACKUPS_READ: frozenset({Role.REGISTRAR}),  # 註冊組: 資料定期備份與封存
    # records
    Permission.SCHOOL_CALENDAR_READ: _MEMBERS,
    Permission.SCHOOL_CALENDAR_WRITE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_WINDOWS_REOPEN: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_CLASSES_READ: _MEMBERS,
    Permission.SCHOOL_CLASSES_WRITE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_STUDENTS_READ: {
        Role.REGISTRAR: Scope.SCHOOL,
        Role.CURRICULUM: Scope.SCHOOL,
        Role.GUIDANCE: Scope.SCHOOL,
        Role.DISCIPLINE: Scope.SCHOOL,
        Role.ACTIVITIES: Scope.SCHOOL,
        Role.COUNSELOR: Scope.ASSIGNED,
        Role.HOMEROOM: Scope.CLASS,
        Role.TEACHER: Scope.COURSE,
        Role.STUDENT: Scope.SELF,
    },
    Permission.SCHOOL_STUDENTS_WRITE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_NATIONAL_ROSTER_READ: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_COURSES_READ: _MEMBERS,
    Permission.SCHOOL_COURSES_WRITE: frozenset({Role.CURRICULUM}),
    Permission.SCHOOL_SELECTIONS_READ: {
        Role.REGISTRAR: Scope.SCHOOL,
        Role.CURRICULUM: Scope.SCHOOL,
        Role.GUIDANCE: Scope.SCHOOL,
        Role.COUNSELOR: Scope.ASSIGNED,
        Role.HOMEROOM: Scope.CLASS,
        Role.TEACHER: Scope.COURSE,
        Role.STUDENT: Scope.SELF,
    },
    Permission.SCHOOL_SELECTIONS_WRITE: frozenset({Role.CURRICULUM}),
    Permission.SCHOOL_GRADES_READ: {Role.CURRICULUM: Scope.SCHOOL, **_STAFF_WIDE},
    Permission.SCHOOL_GRADES_WRITE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_ATTENDANCE_READ: {
        Role.REGISTRAR: Scope.SCHOOL,
        Role.DISCIPLINE: Scope.SCHOOL,
        Role.GUIDANCE: Scope.SCHOOL,
        Role.HOMEROOM: Scope.CLASS,
        Role.STUDENT: Scope.SELF,
    },
    Permission.SCHOOL_ATTENDANCE_WRITE: frozenset({Role.DISCIPLINE}),
    Permission.SCHOOL_CADRES_READ: {Role.ACTIVITIES: Scope.SCHOOL, **_STAFF_WIDE},
    Permission.SCHOOL_CADRES_WRITE: frozenset({Role.ACTIVITIES}),
    Permission.SCHOOL_CLUBS_READ: {Role.ACTIVITIES: Scope.SCHOOL, **_STAFF_WIDE},
    Permission.SCHOOL_CLUBS_WRITE: frozenset({Role.ACTIVITIES}),
    Permission.SCHOOL_SERVICE_LEARNING_READ: {Role.ACTIVITIES: Scope.SCHOOL, **_STAFF_WIDE},
    Permission.SCHOOL_SERVICE_LEARNING_WRITE: frozenset({Role.ACTIVITIES}),
    Permission.SCHOOL_COURSE_EVALUATIONS_READ: dict(_STAFF_WIDE),
    Permission.SCHOOL_COURSE_EVALUATIONS_WRITE: frozenset({Role.GUIDANCE}),
    Permission.SCHOOL_COUNSELLING_READ: dict(_STAFF_WIDE),
    Permission.SCHOOL_COUNSELLING_WRITE: {Role.COUNSELOR: Scope.ASSIGNED},
    Permission.SCHOOL_COUNSELLOR_ASSIGNMENTS_READ: {Role.REGISTRAR: Scope.SCHOOL, Role.GUIDANCE: Scope.SCHOOL, Role.COUNSELOR: Scope.OWN},
    Permission.SCHOOL_COUNSELLOR_ASSIGNMENTS_WRITE: frozenset({Role.REGISTRAR, Role.GUIDANCE}),
    Permission.SCHOOL_COMPETITIONS_READ: {
        Role.REGISTRAR: Scope.SCHOOL,
        Role.ACTIVITIES: Scope.SCHOOL,
        Role.CONTEST_ORGANIZER: Scope.OWN,
        Role.STUDENT: Scope.SELF,
    },
    Permission.SCHOOL_COMPETITIONS_WRITE: {Role.CONTEST_ORGANIZER: Scope.OWN},
    Permission.SCHOOL_COMPETITIONS_CLAIM: {Role.STUDENT: Scope.SELF},
    Permission.SCHOOL_PERFORMANCES_READ: dict(_STAFF_WIDE),
    Permission.SCHOOL_PERFORMANCES_WRITE: {Role.STUDENT: Scope.SELF},
    Permission.SCHOOL_STATEMENTS_READ: {
        Role.GUIDANCE: Scope.SCHOOL,
        Role.COUNSELOR: Scope.ASSIGNED,
        Role.HOMEROOM: Scope.CLASS,
        Role.STUDENT: Scope.SELF,
    },
    Permission.SCHOOL_STATEMENTS_WRITE: {Role.STUDENT: Scope.SELF},
    Permission.SCHOOL_STATEMENTS_CHECK: {Role.GUIDANCE: Scope.SCHOOL, Role.HOMEROOM: Scope.CLASS},
    Permission.SCHOOL_RECORDS_AUDIT_READ: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_RECORD_IMPORTS_READ: frozenset({Role.REGISTRAR, Role.CURRICULUM, Role.DISCIPLINE, Role.ACTIVITIES}),
    Permission.SCHOOL_RECORD_RULES_READ: _MEMBERS,
    # evidence; the evidence service narrows reads to owner, uploader, registrar and granted accounts
    Permission.SCHOOL_EVIDENCE_UPLOAD: frozenset({Role.STUDENT, Role.CONTEST_ORGANIZER, Role.ACTIVITIES, Role.WORKING_GROUP}),
    Permission.SCHOOL_EVIDENCE_READ: _MEMBERS,
    Permission.SCHOOL_EVIDENCE_DESCRIBE: _MEMBERS,
    Permission.SCHOOL_EVIDENCE_LOCK: frozenset({Role.TEACHER, Role.REGISTRAR}),
    Permission.SCHOOL_EVIDENCE_GRANT: frozenset({Role.STUDENT, Role.TEACHER, Role.HOMEROOM, Role.REGISTRAR}),
    Permission.SCHOOL_EVIDENCE_ADMIN: frozenset({Role.REGISTRAR}),
    # certification
    Permission.SELF_OUTCOMES_WRITE: frozenset({Role.STUDENT}),
    Permission.SELF_OUTCOMES_READ: frozenset({Role.STUDENT}),
    Permission.SELF_SELECTION_WRITE: frozenset({Role.STUDENT}),
    Permission.SELF_NOTIFICATIONS_READ: _EVERYONE - _PARENT,
    # the service narrows: own outcome, own course (or proxy), own class, whole school
    Permission.SCHOOL_OUTCOMES_READ: {
        Role.STUDENT: Scope.SELF,
        Role.TEACHER: Scope.COURSE,
        Role.HOMEROOM: Scope.CLASS,
        Role.REGISTRAR: Scope.SCHOOL,
    },
    Permission.COURSE_OUTCOMES_CERTIFY: frozenset({Role.TEACHER}),
    Permission.COURSE_QUEUE_READ: frozenset({Role.TEACHER}),
    Permission.SCHOOL_PROXIES_WRITE: frozenset({Role.TEACHER, Role.REGISTRAR}),
    Permission.CLASS_PROGRESS_READ: frozenset({Role.HOMEROOM}),
    Permission.CLASS_REMINDERS_WRITE: frozenset({Role.HOMEROOM}),
    Permission.SCHOOL_COMPLETION_READ: frozenset({Role.REGISTRAR, Role.WORKING_GROUP}),
    Permission.SCHOOL_SELECTION_LOCK: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_CERTIFICATION_SETTINGS: frozenset({Role.REGISTRAR}),
    # national_upload
    Permission.SCHOOL_NATIONAL_UPLOAD: frozenset({Role.REGISTRAR}),  # 註冊組 uploads to the national database
    Permission.SELF_RECEIPT_CONFIRM: frozenset({Role.STUDENT}),  # 學生檢核收訖明細
    # working group: the registrar or the executive secretary keeps members and meetings; 輔導室
    # runs student training with 教務處; the completion dashboards are for the group and the registrar only
    # (teachers and students see their own progress elsewhere, never the school's per-person figures).
    Permission.SCHOOL_WORKING_GROUP_READ: frozenset({Role.REGISTRAR, Role.WORKING_GROUP}),
    Permission.SCHOOL_WORKING_GROUP_WRITE: frozenset({Role.REGISTRAR, Role.WORKING_GROUP}),
    Permission.SCHOOL_TRAININGS_READ: frozenset({Role.REGISTRAR, Role.WORKING_GROUP, Role.GUIDANCE}),
    Permission.SCHOOL_TRAININGS_WRITE: frozenset({Role.REGISTRAR, Role.WORKING_GROUP, Role.GUIDANCE}),
    Permission.SCHOOL_EFFECTIVENESS_READ: frozenset({Role.REGISTRAR, Role.WORKING_GROUP}),
    Permission.SCHOOL_COMMENDATIONS_WRITE: frozenset({Role.WORKING_GROUP}),  # the secretary proposes, the group decides
    Permission.SCHOOL_STAFF_DIRECTORY_READ: frozenset({Role.REGISTRAR, Role.WORKING_GROUP, Role.GUIDANCE}),
    # pickers: every staff member chooses colleagues by name (代理人, 任課教師, 課程諮詢教師); students never list staff
    Permission.SCHOOL_STAFF_LOOKUP: _MEMBERS - {Role.STUDENT},
    # archive: 註冊組 資料定期備份與封存 — archive leavers, download archived portfolios, purge after retention
    Permission.SCHOOL_ARCHIVE_WRITE: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_ARCHIVE_READ: frozenset({Role.REGISTRAR}),
    Permission.SCHOOL_ARCHIVE_PURGE: frozenset({Role.REGISTRAR}),
    # deadline console: progress counts and queue figures, no personal data
    Permission.DISTRICT_UPLOAD_CONSOLE_READ: frozenset({Role.DISTRICT_ADMIN, Role.REGISTRAR}),
    Permission.SELF_PROBLEM_REPORTS_WRITE: SCHOOL_ROLES,
    Permission.SCHOOL_PROBLEM_REPORTS_MANAGE: frozenset({Role.REGISTRAR}),
    Permission.SELF_MAIL_SETTINGS: _EVERYONE,
    Permission.SCHOOL_MAIL_MANAGE: frozenset({Role.REGISTRAR}),
    # parents: 註冊組 prints invitations, sees and removes a student's parents; a parent links a child by
    # its code and reads, never writes, that child's portfolio; the one thing it records is its 確認單 acknowledgement
    Permission.SCHOOL_GUARDIANS_MANAGE: frozenset({Role.REGISTRAR}),
    Permission.SELF_CHILDREN_READ: _PARENT,
    Permission.SELF_CHILDREN_LINK: _PARENT,
    Permission.CHILD_PORTFOLIO_READ: _PARENT,
    Permission.CHILD_CONFIRMATION_ACKNOWLEDGE: _PARENT,
}

TABLE: dict[Permission, dict[Role, Scope]] = {
    p: dict(grant) if isinstance(grant, dict) else {r: Scope(scope_of(p)) for r in sorted(grant)} for p, grant in _TABLE.items()
}
GRANTS: dict[Permission, frozenset[Role]] = {p: frozenset(grant) for p, grant in TABLE.items()}


def scopes(permission: Permission) -> dict[Role, Scope]:
    """Who holds `permission`, and how far it reaches for each role."""
    return TABLE[permission]


def is_allowed(roles: frozenset[Role] | set[Role], permission: Permission) -> bool:
    return bool(GRANTS[permission] & set(roles))


def check_table_complete() -> None:
    """Every permission has a grant, school scopes are granted only to school roles, children's data
    only to parents, and a parent reaches no further than its own account and its children."""
    for permission in Permission:
        roles = GRANTS.get(permission)
        if not roles:
            raise AssertionError(f"{permission} has no grant")
        if scope_of(permission) == "school" and not roles <= SCHOOL_ROLES:
            raise AssertionError(f"{permission} is a school scope granted to a district role")
        if scope_of(permission) == "child" and roles != _PARENT:
            raise AssertionError(f"{permission} is a child scope granted beyond parents")
        if Role.PARENT in roles and scope_of(permission) not in ("self", "child"):
            raise AssertionError(f"{permission} reaches beyond a parent's own account and children")


def require(caller: Caller | None, permission: Permission) -> Caller:
    """The service-side re-check of the same table the gateway used."""
    if caller is None:
        raise Unauthenticated("請先登入", "authentication required")
    if not is_allowed(caller.roles, permission):
        raise Forbidden("您的角色不能執行此操作", f"your roles may not {permission.value}")
    return caller


def require_system(caller: Caller | None, what: str) -> Caller:
    """RPCs only trusted internal work may call (the gateway's own steps, other services' workers)."""
    if not (caller and caller.is_system):
        raise Forbidden("您的角色不能執行此操作", f"only internal work {what}")
    return caller
