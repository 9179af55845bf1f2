"""What the simulator accepted, in SQLite (WAL) under the data dir, safe for several gunicorn workers.

One connection per thread; every write is one `BEGIN IMMEDIATE` transaction, so concurrent workers
serialise on SQLite's lock. Files (evidence, roster workbooks) are written to a temporary name and
renamed into place before the row that refers to them is committed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

SCHEMA = (Path(__file__).resolve().parent / "schema.sql").read_text(encoding="utf-8")
STALE_CLAIM_SECONDS = 60.0


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "national-sim.sqlite3"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.db().executescript(SCHEMA)  # executescript commits on its own; IF NOT EXISTS makes it repeatable

    # ---- connections
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def write(self):
        db = self.db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ---- files
    def _put_file(self, relative: str, data: bytes) -> None:
        path = self.data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def evidence_path(self, school: str, sha: str) -> str:
        return f"evidence/{school}/{sha[:2]}/{sha}"

    def put_evidence_file(self, school: str, sha: str, data: bytes) -> None:
        self._put_file(self.evidence_path(school, sha), data)

    def put_roster_file(self, roster_id: str, data: bytes) -> None:
        self._put_file(f"rosters/{roster_id}.xlsx", data)

    # ---- idempotency
    def claim(self, school: str, key: str, kind: str, fingerprint: str, now: str, count: bool = True) -> tuple[str, sqlite3.Row | None]:
        """('new', None) when this request owns the key now; otherwise ('conflict'|'done'|'busy', row).
        `count`: this is a new delivery of the key (not a request re-checking while it waits)."""
        with self.write() as db:
            row = db.execute("SELECT * FROM items WHERE school = ? AND key = ?", (school, key)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO items (school, key, kind, fingerprint, state, claimed_at, created_at)"
                    " VALUES (?, ?, ?, ?, 'processing', ?, ?)",
                    (school, key, kind, fingerprint, time.time(), now),
                )
                return "new", None
            if count:
                db.execute("UPDATE items SET deliveries = deliveries + 1 WHERE school = ? AND key = ?", (school, key))
            if row["fingerprint"] != fingerprint or row["kind"] != kind:
                return "conflict", row
            if row["state"] == "done":
                return "done", row
            if time.time() - row["claimed_at"] > STALE_CLAIM_SECONDS:  # its owner died mid-way
                db.execute("UPDATE items SET claimed_at = ? WHERE school = ? AND key = ?", (time.time(), school, key))
                return "new", None
            return "busy", row

    def item(self, school: str, key: str) -> sqlite3.Row | None:
        return self.db().execute("SELECT * FROM items WHERE school = ? AND key = ?", (school, key)).fetchone()

    def release(self, school: str, key: str) -> None:
        """Forget a claim whose request was refused, so the key may be used again after a fix."""
        with self.write() as db:
            db.execute("DELETE FROM items WHERE school = ? AND key = ? AND state = 'processing'", (school, key))

    @staticmethod
    def finish(db: sqlite3.Connection, school: str, key: str, status: int, response: dict) -> None:
        db.execute(
            "UPDATE items SET state = 'done', status = ?, response = ? WHERE school = ? AND key = ?",
            (status, json.dumps(response, ensure_ascii=False), school, key),
        )

    # ---- evidence
    def evidence(self, school: str, sha: str) -> sqlite3.Row | None:
        return self.db().execute("SELECT * FROM evidence WHERE school = ? AND sha256 = ?", (school, sha)).fetchone()

    def add_evidence(self, school: str, key: str, sha: str, filename: str, kind: str, size: int, now: str, response: dict) -> None:
        with self.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO evidence (school, sha256, filename, kind, size, idempotency_key, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (school, sha, filename, kind, size, key, now),
            )
            self.finish(db, school, key, 201, response)

    # ---- rosters
    def add_roster(self, roster: dict, rows: list[tuple[str, str, int, dict]], key: str, response: dict) -> None:
        """The roster, its accepted rows, and the key's outcome, in one transaction. Each student's new
        rows replace that student's current rows of the same school, year, semester and 名冊別."""
        scope = (roster["school"], roster["year"], roster["semester"], roster["roster_code"])
        with self.write() as db:
            db.execute(
                "INSERT INTO rosters (id, school, year, semester, roster_code, filename, sha256, uploader, status, received_at,"
                " confirm_deadline, accepted_students, rejected_students, errors, idempotency_key)"
                " VALUES (:id, :school, :year, :semester, :roster_code, :filename, :sha256, :uploader, :status, :received_at,"
                " :confirm_deadline, :accepted_students, :rejected_students, :errors, :idempotency_key)",
                {**roster, "errors": json.dumps(roster["errors"], ensure_ascii=False), "idempotency_key": key},
            )
            for student in sorted({r[1] for r in rows}):
                db.execute(
                    "UPDATE records SET current = 0"
                    " WHERE school = ? AND year = ? AND semester = ? AND roster_code = ? AND student = ? AND current = 1",
                    (*scope, student),
                )
            db.executemany(
                "INSERT INTO records (roster_id, school, year, semester, roster_code, sheet, student, row_no, data, current)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                [
                    (roster["id"], *scope, sheet, student, row_no, json.dumps(data, ensure_ascii=False))
                    for sheet, student, row_no, data in rows
                ],
            )
            self.finish(db, roster["school"], key, 201, response)

    def roster(self, school: str, roster_id: str) -> sqlite3.Row | None:
        return self.db().execute("SELECT * FROM rosters WHERE id = ? AND school = ?", (roster_id, school)).fetchone()

    def roster_rows(self, roster_id: str) -> list[sqlite3.Row]:
        return (
            self.db()
            .execute("SELECT sheet, student, row_no, data FROM records WHERE roster_id = ? ORDER BY rowid", (roster_id,))
            .fetchall()
        )

    # ---- faults
    def faults(self) -> dict:
        row = self.db().execute("SELECT config FROM faults WHERE id = 1").fetchone()
        return json.loads(row["config"]) if row else {}

    def set_faults(self, config: dict) -> None:
        with self.write() as db:
            db.execute("INSERT OR REPLACE INTO faults (id, config) VALUES (1, ?)", (json.dumps(config),))

    @contextmanager
    def faults_for_update(self):
        with self.write() as db:
            row = db.execute("SELECT config FROM faults WHERE id = 1").fetchone()
            config = json.loads(row["config"]) if row else {}
            yield config
            db.execute("INSERT OR REPLACE INTO faults (id, config) VALUES (1, ?)", (json.dumps(config),))

    # ---- admin
    def state(self, school: str | None) -> dict:
        where, args = ("WHERE school = ?", (school,)) if school else ("", ())
        db = self.db()
        items = [
            dict(r)
            for r in db.execute(f"SELECT school, key, kind, state, status, deliveries, created_at FROM items {where} ORDER BY rowid", args)
        ]
        evidence = [dict(r) for r in db.execute(f"SELECT * FROM evidence {where} ORDER BY rowid", args)]
        rosters = []
        for r in db.execute(f"SELECT * FROM rosters {where} ORDER BY rowid", args):
            rosters.append({**dict(r), "errors": json.loads(r["errors"])})
        counts = db.execute(f"SELECT COUNT(*) AS total, COALESCE(SUM(current), 0) AS current FROM records {where}", args).fetchone()
        return {
            "items": items,
            "evidence": evidence,
            "rosters": rosters,
            "records": {"total": counts["total"], "current": counts["current"]},
        }

    def records(self, filters: dict, current_only: bool) -> list[dict]:
        clauses, args = [], []
        for column in ("school", "year", "semester", "roster_code", "student", "roster_id"):
            if filters.get(column) not in (None, ""):
                clauses.append(f"{column} = ?")
                args.append(filters[column])
        if current_only:
            clauses.append("current = 1")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.db().execute(f"SELECT * FROM records {where} ORDER BY rowid", args).fetchall()
        return [{**dict(r), "data": json.loads(r["data"])} for r in rows]

    def reset(self) -> None:
        with self.write() as db:
            for table in ("items", "evidence", "rosters", "records", "faults"):
                db.execute(f"DELETE FROM {table}")
        for folder in ("evidence", "rosters"):
            shutil.rmtree(self.data_dir / folder, ignore_errors=True)
