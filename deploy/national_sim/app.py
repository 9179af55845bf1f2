"""The simulator's HTTP API (documented in deploy/national-sim/README.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import uuid
from datetime import timedelta

from flask import Flask, Response, g, jsonify, request

from deploy.national_sim.config import SimSettings
from deploy.national_sim.faults import BadFaults, check_config, decide
from deploy.national_sim.store import Store
from shared.clock import roc_date, to_taipei, utcnow
from shared.national.files import check_file
from shared.national.findings import Finding, RosterFormatError, national_errors
from shared.national.receipt import build_receipt_zip, document_name, receipt_document, sha256_hex
from shared.national.roster_io import read_roster
from shared.national.rules import UnknownYear, known_years, rules_for
from shared.national.validator import EvidenceInfo, validate_cover, validate_rows

BUSY_WAIT_SECONDS = 10.0


def problem(status: int, code: str, title: str, title_en: str, detail: str = "", detail_en: str = "", **extra) -> Response:
    body = {
        "status": status,
        "code": code,
        "title": title,
        "title_en": title_en,
        "detail": detail or title,
        "detail_en": detail_en or title_en,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def rejection(status: int, findings: list[Finding], roster_name: str, **extra) -> Response:
    return problem(
        status,
        "rejected",
        "名冊未被受理",
        "The roster was rejected",
        f"共 {len(findings)} 項錯誤",
        f"{len(findings)} problem(s)",
        狀態="rejected",
        錯誤訊息=national_errors(findings, roster_name),
        findings=[f.to_dict() for f in findings],
        **extra,
    )


def create_app(settings: SimSettings | None = None) -> Flask:
    settings = settings or SimSettings()
    store = Store(settings.data_dir)
    app = Flask("national_sim")
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_roster_bytes, 11 * 1024 * 1024)
    app.extensions["national_sim"] = (settings, store)

    # ---------------------------------------------------------------- auth and faults
    @app.before_request
    def guard():
        path = request.path
        if path.startswith("/admin"):
            if settings.admin_token:
                given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if not hmac.compare_digest(given, settings.admin_token):
                    return problem(401, "unauthenticated", "需要管理權杖", "Admin token required")
            return None
        if not path.startswith("/api/"):
            return None
        token = request.headers.get("Authorization", "")
        school = settings.school_for_token(token.removeprefix("Bearer ").strip()) if token.startswith("Bearer ") else None
        if school is None:
            return problem(401, "unauthenticated", "學校憑證無效", "Invalid or missing school credentials")
        g.school = school
        decision = decide(store, path, request.method)
        g.fault = decision
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)
        mode = decision.mode
        if mode == "rate_limit":
            retry_after = str(int(decision.rule.get("retry_after", 1)))
            response = problem(429, "rate_limited", "請求過於頻繁，請稍後再試", "Too many requests, retry later")
            response.headers["Retry-After"] = retry_after
            return response
        if mode == "error":
            status = int(decision.rule.get("status", 503))
            return problem(status, "server_error", "國家資料庫暫時無法服務", "The national database is temporarily unavailable")
        if mode == "drop" and decision.rule.get("when", "after") == "before":
            _drop_connection()
            return Response(status=500)
        return None

    @app.after_request
    def misbehave_after(response: Response) -> Response:
        decision = getattr(g, "fault", None)
        mode = decision.mode if decision else None
        if decision and decision.latency_ms:
            response.headers["X-Sim-Latency-Ms"] = f"{decision.latency_ms:g}"
        if mode:
            response.headers["X-Sim-Fault"] = mode
        if mode == "drop" and decision.rule.get("when", "after") == "after":
            _drop_connection()
        elif mode == "duplicate":
            replaced = problem(504, "gateway_timeout", "處理逾時", "Gateway timeout")
            replaced.headers["X-Sim-Fault"] = mode
            return replaced
        elif mode == "slow_body" and not response.is_streamed:
            body = response.get_data()
            chunks = max(1, int(decision.rule.get("chunks", 5)))
            pause = float(decision.rule.get("chunk_ms", 200)) / 1000
            size = -(-len(body) // chunks) or 1

            def trickle():
                for start in range(0, len(body), size):
                    if start:
                        time.sleep(pause)
                    yield body[start : start + size]

            slow = Response(trickle(), status=response.status_code, headers=dict(response.headers))
            slow.headers.pop("Content-Length", None)
            return slow
        return response

    # ---------------------------------------------------------------- health and rules
    @app.get("/healthz")
    def healthz():
        store.db().execute("SELECT 1").fetchone()
        return jsonify(status="ok", years=known_years())

    @app.get("/api/v1/rules/<int:year>")
    def rules(year: int):
        try:
            return jsonify(rules_for(year).as_json())
        except UnknownYear:
            return problem(404, "unknown_year", "沒有此學年度的規則", "No rules for this school year")

    # ---------------------------------------------------------------- idempotent uploads
    def idempotent(kind: str, body: bytes, meta: str, handler):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 200:
            return problem(
                400,
                "idempotency_key",
                "須提供 Idempotency-Key（最多 200 字元）",
                "An Idempotency-Key header (at most 200 characters) is required",
            )
        fingerprint = hashlib.sha256(f"{kind}\n{meta}\n".encode() + hashlib.sha256(body).digest()).hexdigest()
        now = utcnow().isoformat()
        deadline = time.monotonic() + BUSY_WAIT_SECONDS
        outcome, row = store.claim(g.school, key, kind, fingerprint, now)
        while outcome == "busy" and time.monotonic() < deadline:  # another worker holds the key: wait for its outcome
            time.sleep(0.05)
            row = store.item(g.school, key)
            if row is None:  # that delivery was refused and released the key
                outcome, row = store.claim(g.school, key, kind, fingerprint, now, count=False)
            elif row["state"] == "done":
                outcome = "done"
        if outcome == "conflict":
            return problem(
                409,
                "idempotency_conflict",
                "此 Idempotency-Key 已用於不同內容",
                "This Idempotency-Key was already used with different content",
            )
        if outcome == "done":
            response = Response(row["response"], status=row["status"], content_type="application/json")
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if outcome == "busy":
            response = problem(
                409, "in_progress", "同一 Idempotency-Key 的請求處理中", "A request with this Idempotency-Key is still being processed"
            )
            response.headers["Retry-After"] = "1"
            return response
        try:
            result = handler(key)
        except BaseException:
            store.release(g.school, key)
            raise
        if result.status_code >= 300:
            store.release(g.school, key)
        return result

    # ---------------------------------------------------------------- evidence
    @app.post("/api/v1/evidence")
    def upload_evidence():
        filename = request.args.get("filename", "").strip()
        claimed_sha = request.args.get("sha256", "").strip().lower()
        if not filename or len(filename) > 255 or "/" in filename or "\\" in filename:
            return problem(400, "filename", "須提供檔名 filename", "a filename query parameter is required")
        if len(claimed_sha) != 64:
            return problem(400, "sha256", "須提供檔案的 SHA-256（sha256）", "a sha256 query parameter (64 hex) is required")
        try:
            rules = rules_for(int(request.args.get("year") or known_years()[-1]))
        except (UnknownYear, ValueError):
            return problem(400, "unknown_year", "沒有此學年度的規則", "No rules for this school year")
        limit = max(k.max_bytes for k in rules.file_kinds())
        if (request.content_length or 0) > limit:
            return problem(413, "file_size", "檔案過大", "The file is too large")
        body = request.get_data(cache=False)

        def handle(key: str) -> Response:
            sha = sha256_hex(body)
            if sha != claimed_sha:
                return problem(
                    422,
                    "sha256_mismatch",
                    "檔案的 SHA-256 與宣告不符（傳輸損毀）",
                    "The file's SHA-256 differs from the declared one (corrupted in transit)",
                )
            findings = check_file(rules, filename, len(body), body[:64], "file")
            if findings:
                return problem(422, "file_rejected", findings[0].message, findings[0].message_en, findings=[f.to_dict() for f in findings])
            kind = rules.file_kind_for(filename).name
            now = utcnow().isoformat()
            response = {
                "status": "accepted",
                "sha256": sha,
                "size": len(body),
                "kind": kind,
                "filename": filename,
                "received_at": now,
                "idempotency_key": key,
            }
            if store.evidence(g.school, sha) is None:
                store.put_evidence_file(g.school, sha, body)
            store.add_evidence(g.school, key, sha, filename, kind, len(body), now, response)
            return _json(response, 201)

        return idempotent("evidence", body, f"{filename}\n{claimed_sha}", handle)

    # ---------------------------------------------------------------- rosters
    @app.post("/api/v1/rosters")
    def upload_roster():
        filename = request.args.get("filename", "").strip()
        uploader = request.args.get("uploader", "").strip()[:100]
        claimed_sha = request.args.get("sha256", "").strip().lower()
        if not filename:
            return problem(400, "filename", "須提供檔名 filename", "a filename query parameter is required")
        if (request.content_length or 0) > settings.max_roster_bytes:
            return problem(413, "roster_size", "名冊檔案過大", "The roster file is too large")
        body = request.get_data(cache=False)

        def handle(key: str) -> Response:
            sha = sha256_hex(body)
            if claimed_sha and claimed_sha != sha:
                return problem(
                    422, "sha256_mismatch", "名冊的 SHA-256 與宣告不符（傳輸損毀）", "The roster's SHA-256 differs from the declared one"
                )
            try:
                parsed = read_roster(body)
            except RosterFormatError as exc:
                return rejection(422, exc.findings, filename)
            rules = parsed.rules
            roster = rules.roster(parsed.roster_code)
            file_findings = parsed.findings + validate_cover(
                rules, parsed.school_code, parsed.semester, parsed.roster_code, expected_school=g.school, filename=filename
            )
            if file_findings:
                return rejection(422, file_findings, roster.name)
            cache: dict[str, EvidenceInfo | None] = {}

            def lookup(evidence_sha: str) -> EvidenceInfo | None:
                if evidence_sha not in cache:
                    row = store.evidence(g.school, evidence_sha)
                    cache[evidence_sha] = EvidenceInfo(row["filename"], row["size"]) if row else None
                return cache[evidence_sha]

            report = validate_rows(roster.code, parsed.sheets, rules=rules, evidence=lookup)
            rejected = report.rejected_students
            if report.file_rejected or (report.findings and not roster.per_student):
                return rejection(422, report.findings, roster.name)
            accepted_rows = [
                (sheet, row.get("身分證號", ""), int(row["_row"]), {k: v for k, v in row.items() if not k.startswith("_")})
                for sheet, rows in parsed.sheets.items()
                for row in rows
                if row.get("身分證號", "") not in rejected
            ]
            students = {r[1] for r in accepted_rows}
            if report.findings and not accepted_rows:
                return rejection(422, report.findings, roster.name, rejected_students=len(rejected))
            received = utcnow()
            roster_id = uuid.uuid4().hex
            record = {
                "id": roster_id,
                "school": g.school,
                "year": parsed.year,
                "semester": parsed.semester,
                "roster_code": roster.code,
                "filename": filename,
                "sha256": sha,
                "uploader": uploader,
                "status": "partial" if rejected else "accepted",
                "received_at": received.isoformat(),
                "confirm_deadline": roc_date((to_taipei(received) + timedelta(days=settings.confirm_days)).date()),
                "accepted_students": len(students) if roster.per_student else 0,
                "rejected_students": len(rejected),
                "errors": national_errors(report.findings, roster.name),
            }
            response = {
                "status": record["status"],
                "狀態": record["status"],
                "roster_id": roster_id,
                "FID": roster_id,
                "school_code": g.school,
                "year": parsed.year,
                "semester": parsed.semester,
                "roster_code": roster.code,
                "roster_name": roster.name,
                "filename": filename,
                "sha256": sha,
                "received_at": record["received_at"],
                "confirm_deadline": record["confirm_deadline"],
                "accepted_students": record["accepted_students"],
                "rejected_students": record["rejected_students"],
                "records": len(accepted_rows),
                "錯誤訊息": record["errors"],
                "findings": [f.to_dict() for f in report.findings],
                "receipt_url": f"/api/v1/rosters/{roster_id}/receipt",
                "idempotency_key": key,
            }
            store.put_roster_file(roster_id, body)
            store.add_roster(record, accepted_rows, key, response)
            return _json(response, 201)

        return idempotent("roster", body, filename, handle)

    @app.get("/api/v1/rosters/<roster_id>")
    def roster_status(roster_id: str):
        row = store.roster(g.school, roster_id)
        if row is None:
            return problem(404, "not_found", "找不到此名冊", "No such roster")
        data = dict(row)
        data["errors"] = json.loads(data["errors"])
        data.pop("school")
        return jsonify({**data, "FID": roster_id, "處理狀態": "已完成", "錯誤訊息": data["errors"]})

    @app.get("/api/v1/rosters/<roster_id>/receipt")
    def receipt(roster_id: str):
        row = store.roster(g.school, roster_id)
        if row is None:
            return problem(404, "not_found", "找不到此名冊", "No such roster")
        rules = rules_for(row["year"])
        roster = rules.roster(row["roster_code"])
        rows_by_sheet: dict[str, list[dict]] = {}
        evidence: dict[str, str] = {}
        evidence_columns = {c.name for s in roster.sheets for c in s.columns if c.type == "evidence"}
        for record in store.roster_rows(roster_id):
            data = json.loads(record["data"])
            rows_by_sheet.setdefault(record["sheet"], []).append(data)
            for column in evidence_columns:
                if data.get(column):
                    evidence[data[column]] = ""
        for evidence_sha in evidence:
            found = store.evidence(g.school, evidence_sha)
            extension = found["filename"].rsplit(".", 1)[-1].lower() if found else "bin"
            evidence[evidence_sha] = f"{evidence_sha}.{extension}"
        info = {
            "名稱": roster.name,
            "學校代碼": g.school,
            "學年度": row["year"],
            "學期": row["semester"],
            "名冊別": row["roster_code"],
            "檔名": row["filename"],
            "SHA": row["sha256"],
            "收件編號": roster_id,
            "收件時間": row["received_at"],
            "受理學生數": row["accepted_students"],
        }
        document = receipt_document(rules, info, row["uploader"], row["confirm_deadline"], rows_by_sheet, roster.code)
        name = document_name(g.school, row["year"], row["semester"], roster.code, roster.receipt_root)
        received = [(row["filename"], row["sha256"])] + [(label, sha) for sha, label in evidence.items()]
        data = build_receipt_zip({name: document}, received, settings.receipt_password(g.school))
        response = Response(data, content_type="application/zip")
        response.headers["Content-Disposition"] = f"attachment; filename=receipt-{roster_id}.zip"
        return response

    # ---------------------------------------------------------------- admin
    @app.get("/admin/state")
    def admin_state():
        return jsonify(store.state(request.args.get("school") or None))

    @app.get("/admin/records")
    def admin_records():
        filters = {k: request.args.get(k) for k in ("school", "year", "semester", "roster_code", "student", "roster_id")}
        return jsonify(records=store.records(filters, current_only=request.args.get("all") != "1"))

    @app.post("/admin/reset")
    def admin_reset():
        store.reset()
        return jsonify(status="reset")

    @app.get("/admin/faults")
    def admin_faults():
        return jsonify(store.faults() or {"latency_ms": 0, "rules": []})

    @app.post("/admin/faults")
    def admin_set_faults():
        try:
            config = check_config(request.get_json(force=True, silent=True))
        except BadFaults as exc:
            return problem(400, "bad_faults", "故障設定有誤", "Bad fault config", str(exc), str(exc))
        store.set_faults(config)
        return jsonify(config)

    @app.delete("/admin/faults")
    def admin_clear_faults():
        store.set_faults({"latency_ms": 0, "rules": []})
        return jsonify(latency_ms=0, rules=[])

    @app.get("/admin/keys/<school>")
    def admin_keys(school: str):
        return jsonify(school=school, token=settings.bearer_token(school), receipt_password=settings.receipt_password(school))

    return app


def _json(data: dict, status: int) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


def _drop_connection() -> None:
    """Close the client's connection without a reply (gunicorn hands us its socket)."""
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        raise RuntimeError("drop needs gunicorn")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
