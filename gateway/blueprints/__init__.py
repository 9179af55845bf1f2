"""One blueprint per area; BLUEPRINTS is what the app registers."""

from gateway.blueprints import accounts, auth, backups, evidence, health, pages, schools

BLUEPRINTS = [
    health.bp,
    auth.bp,
    schools.bp,
    accounts.bp,
    backups.bp,
    pages.bp,
    # records (issue 3)
    # evidence (issue 4)
    evidence.bp,
    # certification (issue 5)
    # national_upload (issue 6)
]
