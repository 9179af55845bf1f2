"""Safe retries: an unsafe request sent again with the same `Idempotency-Key` gets the first outcome.

Scope: the key belongs to one account of one school (the district admin has no school), for 24 h.
The first request claims the key by inserting a document whose `_id` is derived from (school,
account, key); the unique `_id` decides between concurrent claims (FerretDB 1.x does not make a
read-modify-write atomic, an insert on a unique key it does). Then:

- the first request finishes: its status, body and the headers a client needs are stored and every
  later request with the key gets exactly that answer (`Idempotent-Replayed: true`);
- a request arrives while the first is still running: 409 `idempotency_in_progress` with
  `Retry-After` (it never waits, so no gateway thread is held by a retry storm); retrying later
  returns the stored outcome;
- the same key with another method, path or body: 422 `idempotency_key_reused`;
- stored answers are encrypted with the field key: some carry initial passwords;
- the first request ended in a 5xx (a service down, a timeout): the claim is released, nothing took
  effect (the RPC deadline guarantees it), and the retry does the work.
- the database went away under the request, so its release or outcome could not be written: a
  thread of its own writes it again every second (until the claim would count as abandoned), and
  the retries meet a free key or the first answer as soon as the database is back, not 409s until
  the claim is abandoned.

A bulk or import route whose client names its job (`import_id`) is keyed by that id when no header
is sent: the same job sent again returns its first report instead of a conflict.
Anonymous routes (login) accept the header and ignore it: there is no account to scope it to.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, current_app, g, make_response, request
from pymongo.errors import PyMongoError

from gateway.idempotency_store import IdempotencyStore
from gateway.problems import problem_response
from shared.crypto import FieldCipher
from shared.errors import Conflict, LichengError, ServiceUnavailable, ValidationFailed
from shared.mongo import make_client

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEEP_FOR = timedelta(hours=24)
# A claim older than this was left by a gateway process that died mid-request: it may be taken over.
ABANDONED_AFTER = timedelta(minutes=5)
LATE_WRITE_INTERVAL_S = 1.0
MAX_KEY_LENGTH = 200
MAX_STORED_BODY = 1024 * 1024
# Headers a replay must repeat; cookies are never stored.
KEPT_HEADERS = ("Content-Type", "Location", "Content-Disposition")


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"


_store_lock = threading.Lock()


def _store() -> IdempotencyStore:
    store = current_app.extensions.get("idempotency_store")
    if store is None:
        with _store_lock:
            store = current_app.extensions.get("idempotency_store")
            if store is None:  # created lazily: after gunicorn's fork, on the first keyed request
                settings = current_app.config["SETTINGS"]
                client = make_client(settings)
                store = IdempotencyStore(client[settings.database_name("gateway")]["idempotency"], FieldCipher(settings.field_key))
                store.ensure_indexes()
                current_app.extensions["idempotency_store"] = store
    return store


def _fingerprint() -> str:
    """What makes two requests "the same": method, path, query and the body (files by their digest)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype == "multipart/form-data":
        for name in sorted(request.form):
            for value in request.form.getlist(name):
                digest.update(f"form {name}={value}\n".encode())
        for name in sorted(request.files):
            for upload in request.files.getlist(name):
                content = hashlib.sha256(upload.stream.read())
                upload.stream.seek(0)
                digest.update(f"file {name}={upload.filename}:{content.hexdigest()}\n".encode())
    elif request.is_json or not request.content_length:
        digest.update(request.get_data(cache=True))
    else:  # a raw body the view streams on (proxy upload): its size, type and query (with its sha256) stand for it
        digest.update(f"raw {request.content_length} {request.content_type}\n".encode())
    return digest.hexdigest()


def _key(job_id_field: str | None) -> str | None:
    key = request.headers.get(HEADER)
    if key is None and job_id_field:
        job_id = request.form.get(job_id_field) or request.args.get(job_id_field)
        return f"job:{job_id_field}:{job_id}" if job_id else None
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key 須為 1 至 {MAX_KEY_LENGTH} 個可見 ASCII 字元",
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
        )
    return key


def _replay(store: IdempotencyStore, held: dict) -> Response:
    body = store.cipher.decrypt(held["body"]).encode("latin-1") if held.get("body") else b""
    response = Response(body, status=held["status"])
    for name, value in (held.get("headers") or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _outcome(store: IdempotencyStore, response: Response) -> dict | None:
    if response.is_streamed:
        return None
    body = response.get_data()
    if len(body) > MAX_STORED_BODY:
        return None
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    sealed = store.cipher.encrypt(body.decode("latin-1")) if body else ""
    return {"status": response.status_code, "headers": headers, "body": sealed, "completed_at": datetime.now(UTC)}


def idempotent(view: Callable[..., Any], kwargs: dict[str, Any], job_id_field: str | None = None) -> Any:
    """Run an endpoint's view under the request's Idempotency-Key (or its job id), if it has one and may."""
    caller = g.get("caller")
    if request.method not in UNSAFE_METHODS or caller is None:
        return view(**kwargs)
    key = _key(job_id_field)
    if key is None:
        return view(**kwargs)
    school, account = caller.school_id or "", caller.user_id
    doc_id = hashlib.sha256(f"{school}\0{account}\0{key}".encode()).hexdigest()
    fingerprint = _fingerprint()
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # BSON keeps milliseconds; claims are matched by it
    claim = {
        "school_id": school,
        "account_id": account,
        "key": key,
        "fingerprint": fingerprint,
        "state": "pending",
        "claimed_at": now,
        "expires_at": now + KEEP_FOR,
    }
    try:
        store = _store()
        store.purge_expired(now)
        held = store.claim(doc_id, claim)
        if held is not None and _stale(held, now):
            store.drop_if(doc_id, held)
            held = store.claim(doc_id, claim)
    except PyMongoError:
        raise ServiceUnavailable("系統暫時無法處理，請稍後再試", "the idempotency store cannot be reached") from None
    if held is not None:
        return _answer_held(store, held, fingerprint)

    claimed_at = claim["claimed_at"]
    try:
        response = make_response(view(**kwargs))
    except LichengError as error:
        response = problem_response(error)
    except BaseException:
        _release_quietly(store, doc_id, claimed_at)
        raise
    outcome = _outcome(store, response) if response.status_code < 500 else None
    if outcome is None:  # nothing took effect (5xx), or nothing we can repeat: the key is free again
        _write_soon(lambda: store.release(doc_id, claimed_at))
    else:
        _write_soon(lambda: store.complete(doc_id, claimed_at, outcome))
    return response


def _write_soon(write: Callable[[], None]) -> None:
    """The claim's release or outcome now, or, while the database is away, again every second in the
    background until it is written or the claim counts as abandoned anyway."""
    try:
        write()
        return
    except PyMongoError:
        pass

    def again() -> None:
        until = time.monotonic() + ABANDONED_AFTER.total_seconds()
        while time.monotonic() < until:
            time.sleep(LATE_WRITE_INTERVAL_S)
            try:
                write()
                return
            except PyMongoError:
                continue

    threading.Thread(target=again, name="idempotency-late-write", daemon=True).start()


def _stale(held: dict, now: datetime) -> bool:
    if not held:  # vanished between insert and read: try again
        return True
    if held.get("expires_at") and _aware(held["expires_at"]) <= now:
        return True
    return held.get("state") == "pending" and _aware(held["claimed_at"]) + ABANDONED_AFTER <= now


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _answer_held(store: IdempotencyStore, held: dict, fingerprint: str) -> Response:
    if held.get("fingerprint") != fingerprint:
        return problem_response(
            IdempotencyKeyReused(
                "此 Idempotency-Key 已用於另一個不同的請求，請換一個新的", "this Idempotency-Key was already used for a different request"
            )
        )
    if held.get("state") != "done":
        response = problem_response(
            IdempotencyInProgress("相同的請求正在處理中，請稍後再查看結果", "a request with this Idempotency-Key is still being processed")
        )
        response.headers["Retry-After"] = "2"
        return response
    return _replay(store, held)


def _release_quietly(store: IdempotencyStore, doc_id: str, claimed_at: datetime) -> None:
    _write_soon(lambda: store.release(doc_id, claimed_at))
