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
    national_upload,
    pages,
    previews,
    records_calendar,
    records_special,
    records_units,
    schools,
    working_group,
)

BLUEPRINTS = [
    health.bp,
    auth.bp,
    schools.bp,
    accounts.bp,
    backups.bp,
    pages.bp,
    # records (issue 3)
    records_calendar.bp,
    records_special.bp,
    records_units.bp,
    # evidence (issue 4)
    evidence.bp,
    # certification (issue 5)
    certification.bp,
    # national_upload (issue 6)
    national_upload.bp,
    national_upload.me,
    # working group (issue 8)
    working_group.bp,
    # archive (issue 9)
    archive.bp,
    # web client (issue 7)
    previews.bp,
    # deadline console (issue 10)
    deadline.bp,
    # printed documents
    documents.bp,
    # pickers: search by name, scoped to the caller
    lookups.bp,
]
