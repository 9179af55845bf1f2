"""The uploaded rows of an import job, kept durably until the job has run.

An import runs off the request path: the request stores the file's rows here (in chunks, since one
document holds at most 16 MB and a term's file has 50,000 rows or more) and announces the job; the
service's worker reads them back, runs the job, and drops them. A worker killed mid-job finds the rows
again when the unacknowledged announcement comes back. Each chunk's rows are packed (shared/packed.py):
FerretDB would otherwise convert a term's 300,000 cells field by field on the way in and out again.
"""

from __future__ import annotations

import threading
from typing import Any

from pymongo.database import Database

from shared.packed import pack, unpack
from shared.tenancy import SchoolCollection

ROWS_PER_CHUNK = 1000


class ImportFiles:
    _indexed: set[str] = set()
    _lock = threading.Lock()

    def __init__(self, db: Database, name: str = "import_files") -> None:
        self.chunks = SchoolCollection(db[name])
        key = f"{db.name}.{name}"
        with self._lock:  # one index build per process and collection, not one per call
            if key not in self._indexed:
                self.chunks.create_index([("job_id", 1), ("seq", 1)], unique=True)
                self._indexed.add(key)

    def keep(self, school_id: str, job_id: str, rows: list[dict[str, Any]]) -> None:
        docs = [
            {"_id": f"{job_id}-{seq}", "job_id": job_id, "seq": seq, "rows": pack(rows[start : start + ROWS_PER_CHUNK])}
            for seq, start in enumerate(range(0, len(rows), ROWS_PER_CHUNK))
        ]
        for start in range(0, len(docs), 10):  # a few MB per round trip
            self.chunks.insert_many(school_id, docs[start : start + 10])

    def rows(self, school_id: str, job_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for doc in self.chunks.find(school_id, {"job_id": job_id}, sort=[("seq", 1)]):
            kept = doc["rows"]
            out += kept if isinstance(kept, list) else unpack(kept)  # a list: kept before rows were packed
        return out

    def drop(self, school_id: str, job_id: str) -> None:
        self.chunks.delete_many(school_id, {"job_id": job_id})
