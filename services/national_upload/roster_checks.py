"""名冊檢查 (the roster check) as a job: every roster of a term built and checked off the request path.

At a real school's size (2,000 students) building and checking the term's rosters takes seconds on a
quiet machine and far longer in deadline week, beside every other school's uploads. So the request
records a draft in state `checking` and announces it; the service's event handler (as the same
registrar: the event carries their context) builds it, saying which step it is at (`phase`), and
leaves it a `draft` with its report, or `check_failed` with the reason. A service killed mid-check
gets the unacknowledged announcement again and builds the draft anew (its roster files are written
once each).
"""

from __future__ import annotations

import logging

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc

from services.national_upload.domain import new_upload_id
from services.national_upload.errors import RulesMissing
from services.national_upload.schemas import PrepareRosters
from shared.clock import utcnow
from shared.errors import LichengError
from shared.national.rules import UnknownYear, rules_for
from shared.validation import parse

log = logging.getLogger("licheng.national_upload.rosters")

ROSTERS_REQUESTED = "rosters_requested"
CHECKING, CHECK_FAILED = "checking", "check_failed"
# what the registrar reads while the check runs
PHASES_ZH = {"queued": "排隊中", "reading": "讀取各單位資料", "building": "產生並檢查名冊", "saving": "儲存名冊檔案"}


def rules_or_422(year: int):
    try:
        return rules_for(year)
    except UnknownYear:
        raise RulesMissing(f"本系統尚無 {year} 學年度的國教署規則，請洽系統管理者", f"no national rules for academic year {year}") from None


class RosterCheckEntrypoints:
    """Mixed into NationalUploadService (its store, `_registrar`, `_prepare`, `_progress`)."""

    dispatch = EventDispatcher()

    @rpc
    def prepare_rosters(self, payload: dict) -> dict:
        """Start the check of every roster of the term without sending anything: a draft the registrar
        previews, downloads and hands on (its per-student report) before starting the upload. Answers
        at once with the draft `checking`; GET /uploads/<id>/report follows it."""
        caller, school = self._registrar()
        request = parse(PrepareRosters, payload)
        rules_or_422(request.year)  # a term we have no rules for is answered now, not as a failed job
        now = utcnow()
        doc = {
            "_id": new_upload_id(request.year, request.term, now),
            "year": request.year,
            "term": request.term,
            "state": CHECKING,
            "phase": "queued",
            "created_at": now,
            "created_by": caller.user_id,
            "uploader": caller.display_name or caller.username,
            "only_students": sorted(set(request.student_ids)) if request.student_ids else None,
            "batch": request.batch,
        }
        self.store.insert_upload(school, doc)
        self.dispatch(ROSTERS_REQUESTED, {"school_id": school, "upload_id": doc["_id"]})
        return self._progress(school, doc, with_report=True)

    @event_handler("national_upload", ROSTERS_REQUESTED)
    def check_rosters(self, payload: dict) -> None:
        caller = self.caller
        school = payload.get("school_id")
        if caller is None or caller.school_id != school:
            return
        upload = self.store.get_upload(school, str(payload.get("upload_id", "")))
        if upload is None or upload.get("state") != CHECKING:
            return  # a redelivery of a finished check
        try:
            self._prepare(caller, school, upload["year"], upload["term"], upload.get("only_students"), upload.get("batch"), upload)
        except LichengError as exc:  # e.g. a unit's service did not answer
            error = {"message": exc.detail or exc.title, "message_en": exc.detail_en or exc.title_en, "code": exc.code}
            self.store.update_upload(school, upload["_id"], {"state": CHECK_FAILED, "error": error, "finished_at": utcnow()})
        except Exception:
            # Nameko acknowledges an event whose handler raised: say so, or the page would wait for ever
            log.exception("roster check stopped", extra={"fields": {"school_id": school, "upload_id": upload["_id"]}})
            error = {"message": "名冊檢查中斷，請重新檢查", "message_en": "the roster check stopped; check again", "code": "check_stopped"}
            self.store.update_upload(school, upload["_id"], {"state": CHECK_FAILED, "error": error, "finished_at": utcnow()})
