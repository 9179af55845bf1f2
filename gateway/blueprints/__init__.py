"""One blueprint per area; BLUEPRINTS is what the app registers."""

from gateway.blueprints import (
    accounts,
    archive,
    auth,
    backups,
    certification,
    deadline,
    documents,
    evidence,
    health,
    lookups,
    mail,
    national_upload,
    pages,
    parents,
    previews,
    problem_reports,
    records_calendar,
    records_special,
    records_units,
    schools,
    sso,
    working_group,
)

BLUEPRINTS = [
    health.bp,
    auth.bp,
    sso.pages,
    sso.api,
    schools.bp,
    accounts.bp,
    backups.bp,
    pages.bp,
    # records
    records_calendar.bp,
    records_special.bp,
    records_units.bp,
    # evidence
    evidence.bp,
    # certification
    certification.bp,
    # national_upload
    national_upload.bp,
    national_upload.me,
    # working group
    working_group.bp,
    # archive
    archive.bp,
    # web client
    previews.bp,
    # deadline console
    deadline.bp,
    # printed documents
    documents.bp,
    # pickers: search by name, scoped to the caller
    lookups.bp,
    # 問題回報 to the registrar
    problem_reports.bp,
    # e-mail reminders: settings, the registrar's log, the unsubscribe link
    mail.api,
    mail.pages,
    # parents (家長): invitations, the join page, children's read-only views
    parents.bp,
    parents.pages,
]
