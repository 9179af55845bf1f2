-- The simulator's SQLite schema (store.py runs it at start; IF NOT EXISTS makes it repeatable).
CREATE TABLE IF NOT EXISTS items (
  school TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, fingerprint TEXT NOT NULL,
  state TEXT NOT NULL, status INTEGER, response TEXT, claimed_at REAL NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL,
  PRIMARY KEY (school, key));
CREATE TABLE IF NOT EXISTS evidence (
  school TEXT NOT NULL, sha256 TEXT NOT NULL, filename TEXT NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (school, sha256));
CREATE TABLE IF NOT EXISTS rosters (
  id TEXT PRIMARY KEY, school TEXT NOT NULL, year INTEGER NOT NULL, semester INTEGER NOT NULL, roster_code INTEGER NOT NULL,
  filename TEXT NOT NULL, sha256 TEXT NOT NULL, uploader TEXT NOT NULL, status TEXT NOT NULL, received_at TEXT NOT NULL,
  confirm_deadline TEXT NOT NULL, accepted_students INTEGER NOT NULL, rejected_students INTEGER NOT NULL,
  errors TEXT NOT NULL, idempotency_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rosters_school ON rosters (school, year, semester, roster_code);
CREATE TABLE IF NOT EXISTS records (
  roster_id TEXT NOT NULL, school TEXT NOT NULL, year INTEGER NOT NULL, semester INTEGER NOT NULL, roster_code INTEGER NOT NULL,
  sheet TEXT NOT NULL, student TEXT NOT NULL, row_no INTEGER NOT NULL, data TEXT NOT NULL, current INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS records_student ON records (school, year, semester, roster_code, student, current);
CREATE INDEX IF NOT EXISTS records_roster ON records (roster_id);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY CHECK (id = 1), config TEXT NOT NULL);
