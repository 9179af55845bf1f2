"""An import's partitions kept as list snapshots (and their students, for 登錄進度) from what the job
itself read and wrote, or (a partition that only gained rows) by appending what it added.

After a term's 30,000 grades, reading every written partition back to take its snapshot cost
FerretDB about 9 s of CPU, beside the next job (which then found the snapshots stale and read the
semester record by record again); and the first 登錄進度 after it read the whole semester again to
learn which students have a grade, once per page open at that moment (eight pages at once held the
records service for 40 s). The job already holds every record of its semesters: the ones it
read before writing, what it changed in them, and what it added. So each partition it wrote is kept
from those, without a read.

Only when nobody else wrote the partition meanwhile. Its tally is read before the job reads the
records, and again at the end; every write to a partition adds to its tally's `w` (list_store.py),
so the tally at the end must be exactly the one at the start plus this job's own writes: one `w` per
chunk that added records to it (and `n` by how many), one per chunk that changed records in it in
place. Anything else (another writer, a tally counted again with a new epoch, a purge) and the
partition is left to its next reader, as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from eventlet import sleep

from services.records.list_store import Partition, partition_of
from services.records.partition_store import Grown
from services.records.store import RecordsStore


class WrittenPartitions:
    def __init__(self, store: RecordsStore, school: str, type_key: str) -> None:
        self.store = store
        self.school = school
        self.type_key = type_key
        self.before = store.partition_tallies(school, type_key)  # None: not tallied, nothing to keep
        self.writes: Counter[Partition] = Counter()
        self.added: Counter[Partition] = Counter()
        self.inserted: list[dict[str, Any]] = []
        self.changed: dict[str, dict[str, Any]] = {}

    def touched(self, updated: Iterable[dict[str, Any]]) -> set[Partition]:
        """The partitions of records about to be changed in place (the store counts one write each)."""
        return {partition_of(d) for d in updated}

    def wrote(self, inserted: list[dict[str, Any]], updated: list[dict[str, Any]]) -> None:
        """One chunk's writes: the records it inserted (as stored) and the ones it changed (as after)."""
        if self.before is None:
            return
        added = Counter(partition_of(d) for d in inserted)
        self.writes.update(added.keys())
        self.added.update(added)
        self.writes.update(self.touched(updated))
        self.inserted += inserted
        self.changed.update((d["_id"], d) for d in updated)

    def keep(self, read_before: Iterable[dict[str, Any]], unread: set[Partition] = frozenset()) -> int:
        """Snapshots of every partition this job wrote, from `read_before` (every record of the job's
        semesters, as read before its first write, but for the partitions `unread`) and its own
        writes; how many were kept. An unread partition only gained this job's rows (none of the
        file's keys was in it): they are appended to its snapshot."""
        if self.before is None or not self.writes:
            return 0
        rows: dict[Partition, list[dict[str, Any]]] = {part: [] for part in self.writes}
        for doc in read_before:
            part = partition_of(doc)
            if part in rows:
                rows[part].append(self.changed.get(doc["_id"], doc))
        added: dict[Partition, list[dict[str, Any]]] = {part: [] for part in self.writes}
        for doc in self.inserted:
            added[partition_of(doc)].append(doc)
        after = self.store.partition_tallies(self.school, self.type_key) or {}
        kept = 0
        grown: list[Grown] = []
        for part in rows:
            pid = self.store.partition_id(self.school, self.type_key, part)
            now, was = after.get(pid), self.before.get(pid)
            if now is None or (was is not None and was.get("epoch") != now.get("epoch")):
                continue
            expected = ((was or {}).get("w", 0) + self.writes[part], (was or {}).get("n", 0) + self.added[part])
            if (now.get("w"), now.get("n")) != expected:
                continue
            if part in unread:
                if was is not None:
                    grown.append((was, now, added[part]))
                continue
            kept += self.store.keep_partition(self.school, self.type_key, now, rows[part] + added[part])
            sleep(0)  # a class's rows are packed in ~25 ms: let the hub serve others between them
        return kept + (self.store.append_to_partitions(self.school, self.type_key, grown) if grown else 0)
