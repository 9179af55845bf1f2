"""Ended sessions as each gateway worker knows them: a revocation feed polled from identity.

A token is verified locally (signature, expiry); what the signature cannot say is whether its session
ended since (logout, a disabled account, a password reset...). Each worker keeps the ids of sessions
ended within the last access-token lifetime (older tokens have expired anyway) and asks identity for
the new ones at most every `revocation_poll_seconds`, from whichever request comes first. No request
waits on identity except that one per interval, and every worker refuses an ended session's token
within the interval (plus an RPC) of its end.

If identity cannot be asked, the worker keeps the set it has and asks again on the next request after
a short pause: authentication goes on, and the staleness is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from shared.caller import Caller
from shared.rpc_pool import RpcPool

log = logging.getLogger("licheng.gateway.sessions")

_RETRY_AFTER_FAILURE = 2.0


class RevocationFeed:
    def __init__(self, pool: RpcPool, poll_seconds: float, keep_seconds: float) -> None:
        self.pool = pool
        self.poll_seconds = poll_seconds
        self.keep_seconds = keep_seconds
        self._ended: dict[str, float] = {}  # session id -> when this worker learnt it (monotonic)
        self._since: str | None = None  # identity's clock at the last answer
        self._next_poll = 0.0
        self._lock = threading.Lock()

    def is_ended(self, session_id: str) -> bool:
        if time.monotonic() >= self._next_poll:
            self._poll()
        return session_id in self._ended

    def mark_ended(self, session_id: str) -> None:
        """This worker ended the session itself (logout): refuse it at once, not at the next poll."""
        with self._lock:
            self._ended[session_id] = time.monotonic()

    def _poll(self) -> None:
        # One thread asks; the others use the set they have (at most one interval old).
        if not self._lock.acquire(blocking=False):
            return
        try:
            if time.monotonic() < self._next_poll:
                return
            try:
                with self.pool.rpc(Caller.system("revocation-feed").to_context()) as services:
                    answer = services.identity.ended_sessions(self._since)
            except Exception as exc:  # identity away: keep what we know, try again shortly
                log.warning("revocation feed not reachable", extra={"fields": {"error": repr(exc)}})
                self._next_poll = time.monotonic() + _RETRY_AFTER_FAILURE
                return
            now = time.monotonic()
            for session_id in answer["session_ids"]:
                self._ended.setdefault(session_id, now)
            # The next question overlaps a little: identity's clock and its writes are not one instant.
            self._since = (datetime.fromisoformat(answer["now"]) - timedelta(seconds=5)).isoformat()
            horizon = now - self.keep_seconds
            for session_id in [s for s, learnt in self._ended.items() if learnt < horizon]:
                del self._ended[session_id]
            self._next_poll = now + self.poll_seconds
        finally:
            self._lock.release()
