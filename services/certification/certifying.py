"""A teacher's 認證 (certification) of outcomes, one or a whole queue at once.

A mixin of CertificationService: it uses the service's store, caller, peers, dispatch and its
helpers `_find`, `_acting_for`, `_proxies`, `_refuse_archived` and `_move`. A bulk certification checks every outcome
on its own (one failure does not stop the rest), but asks records for each semester's deadlines once,
evidence to lock the files of all of them in a few calls (not two calls per outcome), and moves the
outcomes side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.rpc import rpc

from services.certification import domain, events
from services.certification.domain import Action, Deadlines, State
from services.certification.schemas import BulkCertify, BulkResult
from services.certification.views import outcome_view
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import LichengError
from shared.mongo import side_by_side
from shared.permissions import Permission, require
from shared.validation import parse

# evidence.lock takes at most this many files a call
LOCK_BATCH = 500


def _remembered(deadlines: Callable[[int, int], Deadlines]) -> Callable[[int, int], Deadlines]:
    """`deadlines`, asked once per semester: a bulk certification's outcomes share one or two."""
    known: dict[tuple[int, int], Deadlines] = {}

    def of(year: int, term: int) -> Deadlines:
        if (year, term) not in known:
            known[(year, term)] = deadlines(year, term)
        return known[(year, term)]

    return of


def _failure(exc: LichengError) -> dict[str, Any]:
    return {"code": exc.code, "detail": exc.detail or exc.title, "detail_en": exc.detail_en or exc.title_en}


class CertifyingMixin:
    @rpc
    def certify_outcome(self, outcome_id: str) -> dict:
        caller = require(self.caller, Permission.COURSE_OUTCOMES_CERTIFY)
        return self._certify(caller, outcome_id)

    def _certify(self, caller: Caller, outcome_id: str) -> dict:
        deadlines = _remembered(self.peers.deadlines)
        doc, on_behalf = self._certifiable(caller, outcome_id, self._proxies(caller), deadlines)
        if doc["state"] == State.CERTIFIED.value:
            return outcome_view(doc)  # a double click or a redelivery changes nothing
        # Lock the files before the record says certified: a certified outcome never has mutable evidence.
        self.peers.lock(doc["evidence_ids"])
        after = self._certified(caller, doc, on_behalf, deadlines)
        self._announce(caller, doc, on_behalf)
        return after

    def _certifiable(
        self, caller: Caller, outcome_id: str, proxies: list[dict[str, Any]], deadlines: Callable[[int, int], Deadlines]
    ) -> tuple[dict[str, Any], str]:
        """An outcome the caller may certify now (or certified already), and whom they act for; else
        the error that says why not."""
        school = caller.require_school()
        doc = self._find(school, outcome_id)
        on_behalf = self._acting_for(caller, doc, proxies)
        if doc["state"] != State.CERTIFIED.value:
            self._refuse_archived(school, doc["student_id"])  # before its files are locked, as the move would
            domain.next_state(State(doc["state"]), Action.CERTIFY)
            domain.check_action_deadline(deadlines(doc["year"], doc["term"]), Action.CERTIFY, utcnow())
        return doc, on_behalf

    def _certified(self, caller: Caller, doc: dict[str, Any], on_behalf: str, deadlines: Callable[[int, int], Deadlines]) -> dict:
        """The outcome's move to certified, with its audit entry (nothing yet told to others)."""
        if doc["state"] == State.CERTIFIED.value:
            return outcome_view(doc)  # a double click or a redelivery changes nothing
        changes = {"certified_by": caller.user_id, "certified_for": on_behalf, "certified_at": utcnow()}
        return self._move(caller, doc, Action.CERTIFY, changes, on_behalf=on_behalf, deadlines=deadlines)

    def _announce(self, caller: Caller, doc: dict[str, Any], on_behalf: str) -> None:
        self.dispatch(
            events.OUTCOME_CERTIFIED,
            {
                "school_id": caller.require_school(),
                "outcome_id": doc["_id"],
                "student_id": doc["student_id"],
                "evidence_ids": doc["evidence_ids"],
                "certified_by": caller.user_id,
                "certified_for": on_behalf,
            },
        )

    @rpc
    def bulk_certify(self, payload: dict) -> dict:
        """Each outcome is still checked and audited on its own; one failure does not stop the rest."""
        caller = require(self.caller, Permission.COURSE_OUTCOMES_CERTIFY)
        request = parse(BulkCertify, payload)
        certified, failed = [], {}
        deadlines, proxies = _remembered(self.peers.deadlines), self._proxies(caller)
        ready: dict[str, tuple[dict[str, Any], str]] = {}
        for outcome_id in dict.fromkeys(request.outcome_ids):
            try:
                ready[outcome_id] = self._certifiable(caller, outcome_id, proxies, deadlines)
            except LichengError as exc:
                failed[outcome_id] = _failure(exc)
        # every file of what is to be certified locked before any of it says certified, in a few calls
        files = list(dict.fromkeys(e for doc, _ in ready.values() if doc["state"] != State.CERTIFIED.value for e in doc["evidence_ids"]))
        for start in range(0, len(files), LOCK_BATCH):
            self.peers.lock(files[start : start + LOCK_BATCH])

        def certify(item: tuple[str, tuple[dict[str, Any], str]]) -> LichengError | None:
            _, (doc, on_behalf) = item
            try:
                self._certified(caller, doc, on_behalf, deadlines)
            except LichengError as exc:
                return exc
            return None

        # each move is one outcome's own document and audit entry: side by side, so FerretDB overlaps
        # their commits; the events go out after, one by one from this green thread
        for (outcome_id, (doc, on_behalf)), error in zip(ready.items(), side_by_side(certify, ready.items()), strict=True):
            if error is not None:
                failed[outcome_id] = _failure(error)
                continue
            if doc["state"] != State.CERTIFIED.value:
                self._announce(caller, doc, on_behalf)
            certified.append(outcome_id)
        return BulkResult(certified=certified, failed=failed).model_dump(mode="json")
