"""Account imports as jobs, with the initial-password sheet the registrar hands out.

The request (`start_account_import`) keeps the rows (shared/import_files.py), records the job and
announces it; identity's own handler runs it as the requester: every row checked, then every password
generated and hashed (a keyed hash for the generated ones, services/identity/passwords.py; argon2 in the
thread pool for those the file gives, a few at a time, with progress), then every account
written in one batch and the job finished in one update that also keeps the sheet (encrypted). Any
row error imports nothing. A worker killed mid-job gets the announcement again and starts over after
removing what its cut run had written (accounts carry the job's id as `import_batch`): all or nothing.

The sheet (per class, printable) is downloadable once: the download takes it out of the job.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from eventlet import tpool
from eventlet.greenpool import GreenPool
from nameko.events import event_handler
from nameko.rpc import rpc

from services.identity import domain, events
from services.identity.account_import_store import AccountImportJobs
from services.identity.errors import ImportNotFound, PasswordSheetGone
from services.identity.passwords import hash_generated, hash_password
from services.identity.schemas import AccountImportJob
from shared.clock import utcnow
from shared.crypto import FieldCipher
from shared.errors import ValidationFailed, field_error
from shared.import_files import ImportFiles
from shared.permissions import Permission, require

log = logging.getLogger("licheng.identity.imports")

IMPORT_QUEUED = "account_import_queued"
HASHERS = 2  # argon2 threads at once: the machine's cores, leaving the hub free for logins meanwhile
MAX_ERRORS = 1000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _jobs(svc: Any) -> AccountImportJobs:
    return AccountImportJobs(svc.store.db)


def _files(svc: Any) -> ImportFiles:
    return ImportFiles(svc.store.db, "account_import_files")


def _view(job: dict[str, Any], already: bool = False) -> dict[str, Any]:
    sheet = job.get("sheet_state", "none")
    url = f"/api/v1/accounts/imports/{job['_id']}"
    return AccountImportJob(
        import_id=job["_id"],
        status=job["status"],
        phase=job.get("phase", "queued"),
        rows=job["rows"],
        validated=job.get("validated", 0),
        hashed=job.get("hashed", 0),
        imported=job.get("imported", 0),
        errors=job.get("errors", []),
        error_count=job.get("error_count", 0),
        already_imported=already,
        url=url,
        password_sheet={"state": sheet, "url": f"{url}/password-sheet" if sheet == "ready" else ""},
    ).model_dump(mode="json")


class AccountImports:
    """Mixed into IdentityService (store, caller, settings, dispatch, changes)."""

    @rpc
    def start_account_import(self, rows: list, file_sha256: str | None = None) -> dict:
        """Keep the rows and queue the job; the answer is the job (poll account_import). Same file again: a no-op."""
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_IMPORT)
        school = caller.require_school()
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise ValidationFailed("匯入檔沒有資料列", "the import has no rows")
        if file_sha256 is not None and (not isinstance(file_sha256, str) or not _SHA256.match(file_sha256)):
            raise ValidationFailed("檔案摘要格式不正確", "file_sha256: 64 lowercase hex digits")
        domain.check_import_columns(rows)  # a file-level problem is answered at once
        jobs = _jobs(self)
        if file_sha256:
            earlier = [j for j in jobs.of_file(school, file_sha256) if j["status"] not in ("rejected", "failed")]
            if earlier:
                return _view(earlier[0], already=earlier[0]["status"] == "done")
        job = {
            "_id": domain.new_id(),
            "status": "queued",
            "phase": "queued",
            "rows": len(rows),
            "file_sha256": file_sha256,
            "created_by": caller.user_id,
            "created_at": utcnow(),
        }
        jobs.insert(school, job)
        _files(self).keep(school, job["_id"], rows)
        self.dispatch(IMPORT_QUEUED, {"school_id": school, "import_id": job["_id"]})
        return _view(job)

    @rpc
    def account_import(self, import_id: str) -> dict:
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_IMPORT)
        return _view(self._import_job(caller.require_school(), import_id))

    @rpc
    def account_import_sheet(self, import_id: str) -> dict:
        """The initial passwords of the job's accounts by class, once: afterwards they are gone (410)."""
        caller = require(self.caller, Permission.SCHOOL_ACCOUNTS_IMPORT)
        school = caller.require_school()
        job = self._import_job(school, import_id)
        if job.get("sheet_state") != "ready" or not job.get("sheet_enc"):
            raise PasswordSheetGone("初始密碼單只能下載一次，已下載過（可到帳號管理重設個別密碼）", "the sheet is handed out once")
        handed_out = {"sheet_state": "downloaded", "sheet_downloaded_at": utcnow(), "sheet_downloaded_by": caller.user_id}
        taken = _jobs(self).take_sheet(school, import_id, handed_out)
        if not taken:  # someone else downloaded it at the same moment
            raise PasswordSheetGone("初始密碼單只能下載一次，已下載過", "the sheet is handed out once")
        entries = json.loads(FieldCipher(self.settings.field_key).decrypt(job["sheet_enc"]))
        self.changes.record(school, caller, "account.import_sheet", import_id, note=f"{len(entries)} passwords")
        classes: dict[str, list[dict[str, str]]] = {}
        for entry in entries:
            classes.setdefault(entry["class_code"] or "", []).append(entry)
        return {
            "import_id": import_id,
            "classes": [{"class_code": code, "accounts": classes[code]} for code in sorted(classes, key=lambda c: (c == "", c))],
        }

    def _import_job(self, school: str, import_id: str) -> dict[str, Any]:
        job = _jobs(self).get(school, import_id) if isinstance(import_id, str) else None
        if job is None:
            raise ImportNotFound("找不到此匯入工作", "import not found")
        return job

    @event_handler("identity", IMPORT_QUEUED)
    def run_account_import(self, payload: dict) -> None:
        """The job, as its requester. A redelivery after a crash removes the cut run's accounts and starts over."""
        caller = self.caller
        school = payload.get("school_id")
        if caller is None or caller.school_id != school:
            return
        jobs = _jobs(self)
        job = jobs.get(school, str(payload.get("import_id", "")))
        if job is None or job["status"] not in ("queued", "running"):
            return
        batch = job["_id"]
        self.store.accounts.delete_many(school, {"import_batch": batch})  # a cut run's accounts: none or all, never half
        jobs.update(school, batch, {"status": "running", "phase": "validating", "started_at": utcnow()})
        files = _files(self)
        rows = files.rows(school, batch)
        try:
            accounts, errors = domain.validate_import(rows, self.store.usernames(school))
        except ValidationFailed as exc:
            errors = [{"row": 1, **e} for e in exc.errors] or [{"row": 1, **field_error("file", exc.detail, exc.detail_en, exc.code)}]
            accounts = []
        if errors:
            validated = len(rows) - len({e["row"] for e in errors})
            jobs.update(school, batch, self._finished("rejected", validated=validated, errors=errors))
            files.drop(school, batch)
            return
        try:
            docs = self._create_batch(school, batch, accounts)
        except Exception:
            # The database went away mid-job, or a bug. Nameko acknowledges an event whose handler raised,
            # so nothing would run this job again: it would read 執行中 for ever, and the same file sent
            # again would be answered with it. None of its accounts stay; the same file again starts over.
            log.exception("account import stopped", extra={"fields": {"school_id": school, "import_id": batch}})
            self.store.accounts.delete_many(school, {"import_batch": batch})
            stopped = field_error(
                "file",
                "匯入中斷，未建立任何帳號；請重新上傳同一檔案",
                "the import stopped and created no account; upload the same file again",
                "import_stopped",
            )
            jobs.update(school, batch, self._finished("failed", validated=len(accounts), errors=[{"row": 1, **stopped}]))
            files.drop(school, batch)
            return
        files.drop(school, batch)
        self.changes.record(school, caller, "account.import", batch, note=f"{len(docs)} accounts")
        for doc in docs:
            self.dispatch(
                events.ACCOUNT_CREATED,
                {"school_id": school, "account_id": doc["_id"], "roles": doc["roles"], "student_id": doc["student_id"]},
            )

    def _create_batch(self, school: str, batch: str, accounts: list) -> list[dict[str, Any]]:
        """Hash, write every account of the batch and the password sheet; the accounts written."""
        jobs = _jobs(self)
        jobs.update(school, batch, {"validated": len(accounts), "phase": "hashing", "hashed": 0})
        passwords = [a.password or domain.generate_password() for a in accounts]
        typed = [a.password for a in accounts if a.password is not None]
        given = self._hash_all(school, batch, typed, done=len(accounts) - len(typed))
        key = self.settings.field_key
        hashes = [next(given) if a.password is not None else hash_generated(key, p) for a, p in zip(accounts, passwords, strict=True)]
        jobs.update(school, batch, {"hashed": len(hashes), "phase": "writing"})
        now = utcnow()
        docs = [domain.account_document(a, school, h, now, must_change=True) for a, h in zip(accounts, hashes, strict=True)]
        self.store.insert_accounts(school, docs, batch)
        sheet = [
            {"class_code": a.class_code or "", "username": a.username, "display_name": a.display_name, "password": p}
            for a, p in zip(accounts, passwords, strict=True)
            if a.password is None
        ]
        sheet.sort(key=lambda e: (e["class_code"], e["username"]))
        done = self._finished("done", validated=len(accounts), imported=len(docs))
        if sheet:
            done.update(sheet_state="ready", sheet_enc=FieldCipher(self.settings.field_key).encrypt(json.dumps(sheet, ensure_ascii=False)))
        jobs.update(school, batch, done)  # the accounts and the sheet count from this one write
        return docs

    def _hash_all(self, school: str, batch: str, passwords: list[str], done: int) -> Iterator[str]:
        """argon2 for the passwords the file gives, HASHERS at once in the thread pool, progress every 50
        (counted after the `done` generated ones, whose keyed hashes take no time)."""
        jobs = _jobs(self)
        hashes: list[str] = []
        for h in GreenPool(HASHERS).imap(lambda p: tpool.execute(hash_password, p), passwords):
            hashes.append(h)
            if len(hashes) % 50 == 0:
                jobs.update(school, batch, {"hashed": done + len(hashes)})
        return iter(hashes)

    @staticmethod
    def _finished(status: str, *, validated: int, imported: int = 0, errors: list | None = None) -> dict[str, Any]:
        errors = errors or []
        return {
            "status": status,
            "phase": "finished",
            "validated": validated,
            "imported": imported,
            "errors": errors[:MAX_ERRORS],
            "error_count": len(errors),
            "finished_at": utcnow(),
        }
