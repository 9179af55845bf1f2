"""The services of this build. Importing this module patches nothing (unlike services.run)."""

import importlib

# name -> "module:Class"
SERVICES: dict[str, str] = {
    "identity": "services.identity.service:IdentityService",
    "backup": "services.backup.service:BackupService",
    # records
    "records": "services.records.service:RecordsService",
    # evidence
    "evidence": "services.evidence.service:EvidenceService",
    # certification
    "certification": "services.certification.service:CertificationService",
    # national_upload
    "national_upload": "services.national_upload.service:NationalUploadService",
    # working group
    "working_group": "services.working_group.service:WorkingGroupService",
    # printed documents: 確認單, 班級進度, 收訖明細, minutes (PDF by WeasyPrint)
    "documents": "services.documents.service:DocumentsService",
    # reminders by e-mail: decides each day's mails; services/reminders/worker.py sends them
    "reminders": "services.reminders.service:RemindersService",
}


def import_error_modules() -> None:
    """Load every service's errors so Nameko re-raises them as their own classes in this process.

    Nameko's remote-error registry is keyed by module path; an error class that was never imported
    here would arrive as a bare RemoteError (and become a 500) instead of its 4xx.
    """
    for target in SERVICES.values():
        package = target.split(":")[0].rsplit(".", 1)[0]
        importlib.import_module(f"{package}.errors")
