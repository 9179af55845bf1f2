"""An import keeps the snapshots of the partitions it wrote from what it holds (no read back), on the
real FerretDB, and only where nobody else wrote the partition meanwhile."""

from __future__ import annotations

from services.records import snapshot_store
from services.records.division import TYPES
from services.records.domain import natural_tuple
from services.records.import_snapshots import WrittenPartitions
from services.records.list_store import PARTITION, partition_of
from services.records.store import RecordsStore
from tests.records.test_lists_at_size import A, B, grade, seed_grades, store

__all__ = ["store"]


def _import(store: RecordsStore, school: str, new: list[dict], changes: dict[str, dict], meddle=None) -> tuple[WrittenPartitions, list]:
    """What an import job does around its writes (services/records/imports.py), in one chunk."""
    store.count_if_small(school, "grades")
    written = WrittenPartitions(store, school, "grades")
    existing = store.semester_records("grades", school, 115, 1, ordered=False)
    changed = [{**d, **changes[d["_id"]]} for d in existing if d["_id"] in changes]
    if meddle:
        meddle()
    stored = store.bulk_upsert(
        "grades",
        school,
        new,
        [(d["_id"], changes[d["_id"]]) for d in changed],
        store.student_classes(school),
        written.touched(changed),
    )
    written.wrote(stored, changed)
    return written, existing


def _snapshot_rows(store: RecordsStore, school: str) -> dict[tuple, list]:
    parts = [p for p in store.tallies.partitions(school, "grades") if (p["year"], p["term"]) == (115, 1)]
    return {(p["class"]): sorted(r["_id"] for r in store.snapshots.rows(school, "grades", p, [("_id", 1)])) for p in parts}


def _plain_rows(store: RecordsStore, school: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for d in store.records["grades"].find(school, {"year": 115, "term": 1}):
        out.setdefault(d[PARTITION], []).append(d["_id"])
    return {k: sorted(v) for k, v in out.items()}


def test_the_partitions_an_import_wrote_are_kept_as_the_records_stand(store, monkeypatch):
    ids = seed_grades(store, A)
    seed_grades(store, B)
    new = [grade(A, "s10101", 115, 1, "C3"), grade(A, "s10301", 115, 1, "C3")]  # classes 101 and 103
    score = {i: {"score": 88} for i in ids if "-1151-" in i and "s10201" in i}  # class 102, in place
    written, existing = _import(store, A, new, score)

    assert written.keep(existing) == 3
    kept = {s["_id"]: s for s in store.snapshots.coll.find(A, {"type": "grades"})}
    tallies = store.partition_tallies(A, "grades")
    for pid, snapshot in kept.items():
        assert (snapshot["epoch"], snapshot["w"], snapshot["n"]) == (tallies[pid]["epoch"], tallies[pid]["w"], tallies[pid]["n"])
    reads: list = []
    real_find = store.records["grades"].find
    monkeypatch.setattr(store.records["grades"], "find", lambda school, where, **kw: reads.append(where) or real_find(school, where, **kw))
    from_snapshots = store.semester_records("grades", A, 115, 1)
    recorded = store.recorded_students("grades", A, 115, 1)
    assert reads == []  # every partition of the semester from its snapshot, its students from its tally
    monkeypatch.undo()
    assert from_snapshots == store.records["grades"].find(A, {"year": 115, "term": 1}, sort=[("_id", 1)])
    assert {d["_id"]: d.get("score") for d in from_snapshots if d["_id"] in score} == {i: 88 for i in score}
    assert recorded == {d["student_id"] for d in from_snapshots}


def test_a_partition_someone_else_wrote_meanwhile_is_left_to_its_next_reader(store):
    seed_grades(store, A)
    new = [grade(A, "s10101", 115, 1, "C3"), grade(A, "s10201", 115, 1, "C3")]  # classes 101 and 102

    def someone_else() -> None:  # a teacher adds a grade in class 101 while the import runs
        store.insert("grades", A, grade(A, "s10102", 115, 1, "C4"))

    written, existing = _import(store, A, new, {}, meddle=someone_else)
    assert written.keep(existing) == 1  # class 102 only
    tallies = store.partition_tallies(A, "grades")
    current = {
        tallies[s["_id"]]["class"]
        for s in store.snapshots.coll.find(A, {"type": "grades"})
        if (s["epoch"], s["w"], s["n"]) == (tallies[s["_id"]]["epoch"], tallies[s["_id"]]["w"], tallies[s["_id"]]["n"])
        and tallies[s["_id"]]["year"] == 115
    }
    assert current == {"102", "103"}  # 103 as the import's read took it; 101 stale
    assert _snapshot_rows(store, A) == _plain_rows(store, A)  # class 101 read again, with the teacher's grade


def test_nothing_is_kept_for_a_type_without_tallies(store):
    written = WrittenPartitions(store, A, "students")
    written.wrote([{"_id": "x", "student_id": "s1"}], [])
    assert written.before is None and written.keep([]) == 0
    assert partition_of({"year": 115, "term": 1, PARTITION: "101"}) == (115, 1, "101")


def _import_new(store: RecordsStore, school: str, new: list[dict], meddle=None) -> tuple[WrittenPartitions, list, set]:
    """What an import job does when it adds `new`: it reads only the partitions whose kept keys meet
    the file's (services/records/imports.py), writes, and tells what it left unread."""
    store.count_if_small(school, "grades")
    written = WrittenPartitions(store, school, "grades")
    wanted = {natural_tuple(TYPES["grades"], d) for d in new}
    existing, unread = store.semester_records_for_keys("grades", school, 115, 1, wanted)
    if meddle:
        meddle()
    stored = store.bulk_upsert(
        "grades", school, [d for d in new if d["_id"] not in {e["_id"] for e in existing}], [], store.student_classes(school), set()
    )
    written.wrote(stored, [])
    return written, existing, unread


def _counting_reads(store: RecordsStore, monkeypatch) -> list:
    reads: list = []
    real_find = store.records["grades"].find
    monkeypatch.setattr(store.records["grades"], "find", lambda school, where, **kw: reads.append(where) or real_find(school, where, **kw))
    return reads


def test_rows_new_to_every_partition_read_no_records_and_are_appended_to_the_snapshots(store, monkeypatch):
    seed_grades(store, A)
    store.semester_records("grades", A, 115, 1)  # a list read: every partition kept
    new = [grade(A, "s10101", 115, 1, "C3"), grade(A, "s10301", 115, 1, "C3")]  # classes 101 and 103
    reads = _counting_reads(store, monkeypatch)
    written, existing, unread = _import_new(store, A, new)
    assert existing == [] and unread == {(115, 1, "101"), (115, 1, "102"), (115, 1, "103")}
    assert written.keep(existing, unread) == 2  # 101 and 103, by one more segment each
    kept = {s["class"]: s for s in store.snapshots.coll.find(A, {"type": "grades", "year": 115})}
    assert {c: s["segments"] for c, s in kept.items()} == {"101": 1, "102": 0, "103": 1}
    from_snapshots = store.semester_records("grades", A, 115, 1)
    recorded = store.recorded_students("grades", A, 115, 1)
    assert reads == []  # not one record read: the file's keys, the semester and its students from the copies
    monkeypatch.undo()
    assert from_snapshots == store.records["grades"].find(A, {"year": 115, "term": 1}, sort=[("_id", 1)])
    assert _snapshot_rows(store, A) == _plain_rows(store, A)
    assert recorded == {d["student_id"] for d in from_snapshots}


def test_a_partition_holding_one_of_the_files_keys_is_read_whole(store):
    seed_grades(store, A)
    store.semester_records("grades", A, 115, 1)
    again = grade(A, "s10201", 115, 1, "C1")  # stored already, in class 102
    written, existing, unread = _import_new(store, A, [again, grade(A, "s10101", 115, 1, "C3")])
    assert unread == {(115, 1, "101"), (115, 1, "103")}
    assert sorted(d["_id"] for d in existing) == sorted(
        d["_id"] for d in store.records["grades"].find(A, {"year": 115, "term": 1, PARTITION: "102"})
    )
    assert written.keep(existing, unread) == 1
    assert _snapshot_rows(store, A) == _plain_rows(store, A)


def test_an_append_is_refused_when_someone_else_wrote_or_the_segments_are_many(store, monkeypatch):
    seed_grades(store, A)
    store.semester_records("grades", A, 115, 1)

    def someone_else() -> None:  # a teacher adds a grade in class 101 while the import runs
        store.insert("grades", A, grade(A, "s10102", 115, 1, "C4"))

    written, existing, unread = _import_new(store, A, [grade(A, "s10101", 115, 1, "C3")], meddle=someone_else)
    assert written.keep(existing, unread) == 0
    assert _snapshot_rows(store, A) == _plain_rows(store, A)  # class 101 read again, with both grades

    monkeypatch.setattr(snapshot_store, "MOST_SEGMENTS", 1)
    written, existing, unread = _import_new(store, A, [grade(A, "s10301", 115, 1, "C5")])
    assert written.keep(existing, unread) == 1
    written, existing, unread = _import_new(store, A, [grade(A, "s10301", 115, 1, "C6")])
    assert written.keep(existing, unread) == 0  # one segment is the most: left to its next reader
    assert _snapshot_rows(store, A) == _plain_rows(store, A)
    kept = store.snapshots.coll.find_one(A, {"type": "grades", "year": 115, "class": "103"})
    assert (kept["segments"], kept["n"]) == (0, 4)  # packed whole again by that reader: C1, C2, C5, C6
