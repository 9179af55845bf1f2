"""Record lists read by partitions (services/records/list_store.py), on the real FerretDB, at a small size.

The partition path normally starts above BIG_LIST rows; here it is lowered so a handful of records
takes it: every row is reached exactly once by paging, the total reads no record, and the tallies
follow inserts, imports, deletes and students changing class.
"""

from __future__ import annotations

import secrets

import pytest

import services.records.store as store_module
from services.records.list_store import PARTITION
from services.records.query import EVERYTHING, OneOf, Visible
from services.records.store import RecordsStore
from shared.config import Settings
from shared.mongo import make_client

SORT = [("year", 1), ("term", 1), ("student_id", 1), ("course_code", 1), ("course_class", 1)]
A, B = "910001", "910002"
CLASSES = {"101": ["s10101", "s10102", "s10103"], "102": ["s10201", "s10202"], "103": ["s10301"]}


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setattr(store_module, "BIG_LIST", 0)  # every whole-school list takes the partition path
    client = make_client(Settings())
    name = f"t{secrets.token_hex(4)}_lists"
    records = RecordsStore(client[name])
    records.ensure_indexes()
    for school in (A, B):
        records.bulk_upsert(
            "students",
            school,
            [{"_id": f"{school}-{s}", "student_id": s, "class_code": c, "status": "在學"} for c, ids in CLASSES.items() for s in ids],
            [],
        )
    yield records
    client.drop_database(name)
    client.close()


def grade(school: str, student: str, year: int, term: int, course: str) -> dict:
    content = {"year": year, "term": term, "student_id": student, "course_code": course, "course_class": "101"}
    return {"_id": f"{school}-{student}-{year}{term}-{course}", **content}


def seed_grades(store: RecordsStore, school: str) -> list[str]:
    docs = [grade(school, s, y, t, c) for (y, t) in ((114, 2), (115, 1)) for ids in CLASSES.values() for s in ids for c in ("C1", "C2")]
    store.bulk_upsert("grades", school, docs[:10], [])
    for doc in docs[10:]:
        store.insert("grades", school, doc)
    return [d["_id"] for d in docs]


def page_through(store: RecordsStore, school: str, where: dict, per_page: int) -> tuple[list[dict], int]:
    seen, skip, total = [], 0, None
    while True:
        docs, total = store.page("grades", school, where, visible=EVERYTHING, sort=SORT, skip=skip, limit=per_page)
        seen += docs
        if len(docs) < per_page:
            return seen, total
        skip += per_page


def test_paging_by_partitions_reaches_every_row_once_in_semester_then_class_order(store):
    ids = seed_grades(store, A)
    seed_grades(store, B)
    seen, total = page_through(store, A, {}, per_page=5)
    assert total == len(ids) == 24
    assert sorted(d["_id"] for d in seen) == sorted(ids)  # each once, none of school B
    keys = [(d["year"], d["term"], d[PARTITION], d["student_id"], d["course_code"]) for d in seen]
    assert keys == sorted(keys)
    one_term, total = page_through(store, A, {"year": 115, "term": 1}, per_page=4)
    assert total == 12 and {(d["year"], d["term"]) for d in one_term} == {(115, 1)}


def test_totals_follow_inserts_deletes_and_a_student_changing_class(store):
    ids = seed_grades(store, A)
    assert store.page("grades", A, {}, visible=EVERYTHING, sort=SORT, skip=0, limit=1)[1] == 24
    store.delete("grades", A, ids[0])
    assert store.page("grades", A, {}, visible=EVERYTHING, sort=SORT, skip=0, limit=1)[1] == 23
    store.update("students", A, f"{A}-s10101", {"class_code": "103"})
    moved = store.find("grades", A, {"student_id": "s10101"})
    assert moved and {d[PARTITION] for d in moved} == {"103"}
    seen, total = page_through(store, A, {}, per_page=7)
    assert total == 23 and len({d["_id"] for d in seen}) == 23
    assert store.class_partition("grades", A)
    in_103 = store.find("grades", A, {PARTITION: "103"})
    assert {d["student_id"] for d in in_103} == {"s10101", "s10301"}


def test_records_written_before_partitions_get_their_class_when_first_listed(store):
    legacy = [{**grade(A, s, 115, 1, "C1"), "school_id": A} for s in ("s10102", "s10201")]
    store.records["grades"].raw.insert_many(legacy)  # as stored before list_class existed
    docs, total = store.page("grades", A, {}, visible=EVERYTHING, sort=SORT, skip=0, limit=10)
    assert total == 2 and {d["student_id"]: d[PARTITION] for d in docs} == {"s10102": "101", "s10201": "102"}


def test_a_scoped_caller_reads_only_the_partitions_of_their_students_classes(store):
    seed_grades(store, A)
    scoped = Visible(({"student_id": OneOf(["s10201", "s10301"])}, {"student_id": OneOf(["s10202"])}))
    seen, skip = [], 0
    while docs := store.page("grades", A, {"year": 115, "term": 1}, visible=scoped, sort=SORT, skip=skip, limit=2)[0]:
        seen += docs
        skip += 2
    total = store.page("grades", A, {"year": 115, "term": 1}, visible=scoped, sort=SORT, skip=0, limit=2)[1]
    assert total == len(seen) == 6 and {d["student_id"] for d in seen} == {"s10201", "s10202", "s10301"}
    assert [d[PARTITION] for d in seen] == ["102"] * 4 + ["103"] * 2


def test_another_filter_is_one_read_counting_as_it_goes(store):
    seed_grades(store, A)
    docs, total = store.page("grades", A, {"course_code": "C2"}, visible=EVERYTHING, sort=SORT, skip=0, limit=50)
    assert total == 12 and {d["course_code"] for d in docs} == {"C2"}


def test_a_whole_school_list_in_another_order_is_read_once_and_follows_every_write(store, monkeypatch):
    ids = seed_grades(store, A)
    seed_grades(store, B)
    for n, doc_id in enumerate(ids):  # scores that cross the classes
        store.update("grades", A, doc_id, {"score": (n * 37) % 101})
    by_score = [("score", -1), *SORT]

    def ordered(per_page: int, rows: int = len(ids)) -> list[dict]:
        seen, skip = [], 0
        while True:
            docs, total = store.page("grades", A, {}, visible=EVERYTHING, sort=by_score, skip=skip, limit=per_page, natural=False)
            assert total == rows
            seen += docs
            if len(docs) < per_page:
                return seen
            skip += per_page

    seen = ordered(5)
    assert sorted(d["_id"] for d in seen) == sorted(ids)  # every row once, none of school B
    assert [d["score"] for d in seen] == sorted((d["score"] for d in seen), reverse=True)
    reads: list[dict] = []
    real_find = store.records["grades"].find
    real_one = store.records["grades"].find_one
    monkeypatch.setattr(store.records["grades"], "find", lambda school, where, **kw: reads.append(where) or real_find(school, where, **kw))
    monkeypatch.setattr(store.records["grades"], "find_one", lambda school, where, *a: reads.append(where) or real_one(school, where, *a))
    assert [d["_id"] for d in ordered(5)] == [d["_id"] for d in seen]
    assert reads == []  # the kept order and its first records: no read at all
    monkeypatch.setattr(store.sorted_orders, "head", 3)
    store.update("grades", A, seen[0]["_id"], {"description": "補登"})  # written: read again, and only 3 kept whole
    reads.clear()
    assert [d["_id"] for d in ordered(5)] == [d["_id"] for d in seen]
    assert len([w for w in reads if set(w) == {"_id"}]) == len(ids) - 3  # past the kept records: by id
    lowest = seen[-1]["_id"]
    store.update("grades", A, lowest, {"score": 100.5})  # a change in place reorders the list
    assert ordered(50)[0]["_id"] == lowest
    store.delete("grades", A, lowest)
    again = ordered(50, len(ids) - 1)
    assert len(again) == len(ids) - 1 and lowest not in {d["_id"] for d in again}
    one_class = {PARTITION: "102"}  # one class is one read, ordered by FerretDB
    by_course = [("course_code", -1), *(k for k in SORT if k[0] != "course_code")]
    docs, total = store.page("grades", A, one_class, visible=EVERYTHING, sort=by_course, skip=0, limit=50, natural=False)
    assert total == 8 and [d["course_code"] for d in docs] == ["C2"] * 4 + ["C1"] * 4


def test_a_scoped_callers_classes_are_ordered_together(store):
    seed_grades(store, A)
    scoped = Visible(({"student_id": OneOf(["s10201", "s10301"])}, {"student_id": OneOf(["s10202"])}))
    by_student_desc = [("student_id", -1), *(k for k in SORT if k[0] != "student_id")]
    pages = [
        store.page("grades", A, {"year": 115, "term": 1}, visible=scoped, sort=by_student_desc, skip=skip, limit=2, natural=False)
        for skip in (0, 2, 4)
    ]
    assert all(total == 6 for _, total in pages)
    assert [d["student_id"] for docs, _ in pages for d in docs] == ["s10301"] * 2 + ["s10202"] * 2 + ["s10201"] * 2


def test_the_students_recorded_in_a_semester_follow_every_write_and_read_only_what_changed(store, monkeypatch):
    ids = seed_grades(store, A)  # every student of A has grades in 114-2 and 115-1
    seed_grades(store, B)
    assert store.recorded_students("grades", A, 115, 1) == set().union(*CLASSES.values())
    reads: list[dict] = []
    real_find = store.records["grades"].find
    monkeypatch.setattr(store.records["grades"], "find", lambda school, where, **kw: reads.append(where) or real_find(school, where, **kw))
    assert store.recorded_students("grades", A, 115, 1) == set().union(*CLASSES.values())
    assert reads == []  # nothing written since: the kept sets answer
    first, second = [i for i in ids if "-s10301-1151-" in i]
    store.delete("grades", A, first)
    assert store.recorded_students("grades", A, 115, 1) == set().union(*CLASSES.values())  # one grade left
    assert [w.get(PARTITION) for w in reads] == ["103"]  # only the partition written since is read
    store.delete("grades", A, second)
    assert store.recorded_students("grades", A, 115, 1) == set().union(*CLASSES.values()) - {"s10301"}
    mine = next(i for i in ids if "-s10201-1151-C1" in i)
    store.update("grades", A, mine, {"student_id": "s10301"})  # the same class's partition? no: 102 → 103
    assert "s10301" in store.recorded_students("grades", A, 115, 1)
    store.update("students", A, f"{A}-s10102", {"class_code": "103"})  # a student moves: their grades follow
    assert store.recorded_students("grades", A, 115, 1) >= {"s10102", "s10301"}
    assert store.recorded_students("grades", A, 114, 2) == set().union(*CLASSES.values())
    assert store.recorded_students("grades", B, 115, 1) == set().union(*CLASSES.values())  # B is its own
    assert store.recorded_students("grades", A, 113, 1) == set()


def test_one_student_replaced_by_another_in_the_same_partition_is_seen(store):
    ids = seed_grades(store, A)
    assert "s10103" in store.recorded_students("grades", A, 115, 1)
    for doc_id in [i for i in ids if "-s10103-1151-" in i]:
        store.update("grades", A, doc_id, {"student_id": "s10199"})  # 101 → 101: no count changes
    assert "s10103" not in store.recorded_students("grades", A, 115, 1)


def test_a_page_names_its_students_and_courses_read_by_class(store, monkeypatch):
    from services.records import list_names
    from services.records.division import TYPES

    for sid in ("s10101", "s10201"):
        store.records["students"].update_one(A, {"student_id": sid}, {"$set": {"name": f"姓名{sid}"}})
    store.bulk_upsert("courses", A, [{"_id": "c1", "code": "C1", "name": "國語文", "class_code": "101"}], [])
    docs = [{**grade(A, "s10101", 115, 1, "C1"), PARTITION: "101"}, {**grade(A, "s10201", 115, 1, "C9"), PARTITION: "102"}]
    reads: list[dict] = []
    real_find = store.find
    spy = lambda key, school, where=None, **kw: reads.append((key, where)) or real_find(key, school, where, **kw)  # noqa: E731
    monkeypatch.setattr(store, "find", spy)
    items = [{"student_id": d["student_id"], "course_code": d["course_code"]} for d in docs]
    list_names.add_names(store, A, TYPES["grades"], docs, items)
    assert [(i["student_name"], i["course_name"]) for i in items] == [("姓名s10101", "國語文"), ("姓名s10201", "")]
    by_class = [w for key, w in reads if key == "students"]
    assert by_class == [{"class_code": "101"}, {"class_code": "102"}]  # equalities, no $in over the school
    assert all(w.get("school_id") is None for _, w in reads)  # the store adds the school; B's names never come


def _stored(store: RecordsStore, school: str, where: dict | None = None) -> list[dict]:
    return store.records["grades"].find(school, where or {}, sort=SORT)


def _by_partitions(store: RecordsStore, school: str) -> list[dict]:
    return page_through(store, school, {}, per_page=5)[0]


def test_a_partitions_snapshot_answers_until_any_write_to_it(store, monkeypatch):
    ids = seed_grades(store, A)
    seed_grades(store, B)
    first = _by_partitions(store, A)
    assert sorted(first, key=lambda d: d["_id"]) == sorted(_stored(store, A), key=lambda d: d["_id"])
    kept = store.snapshots.coll.find(A, {"type": "grades"}, projection={"rows": 0})
    assert sorted(k["n"] for k in kept) == [2, 2, 4, 4, 6, 6]  # 2 semesters x 3 classes
    reads: list[dict] = []
    real_find = store.records["grades"].find
    monkeypatch.setattr(store.records["grades"], "find", lambda school, where, **kw: reads.append(where) or real_find(school, where, **kw))
    assert _by_partitions(store, A) == first  # same rows, same order, same types
    assert reads == []  # every page from the snapshots
    changes = [
        lambda: store.update("grades", A, ids[0], {"score": 88}),  # in place
        lambda: store.insert("grades", A, grade(A, "s10102", 115, 1, "C3")),
        lambda: store.delete("grades", A, ids[1]),
        lambda: store.update("students", A, f"{A}-s10201", {"class_code": "101"}),  # moves partitions
        lambda: store.bulk_upsert("grades", A, [grade(A, "s10301", 115, 1, "C4")], [(ids[2], {"score": 61})]),
    ]
    for change in changes:
        change()
        reads.clear()
        seen = _by_partitions(store, A)
        assert sorted(seen, key=lambda d: d["_id"]) == sorted(real_find(A, {}), key=lambda d: d["_id"])
        assert reads  # something was read again
        reads.clear()
        assert _by_partitions(store, A) == seen and reads == []  # and kept again
    assert {d["_id"] for d in _by_partitions(store, B)} == {d["_id"] for d in real_find(B, {})}  # B's own


def test_a_snapshot_of_counted_again_tallies_is_not_taken_for_them(store):
    ids = seed_grades(store, A)
    _by_partitions(store, A)
    # a write the tallies cannot follow exactly (as a purge): counted again, every partition a new epoch
    store.records["grades"].raw.update_one({"_id": ids[0]}, {"$set": {"score": 1}})
    store.tallies.forget(A, "grades")
    assert next(d for d in _by_partitions(store, A) if d["_id"] == ids[0])["score"] == 1


def test_a_purge_removes_the_snapshots_of_its_records(store):
    seed_grades(store, A)
    seed_grades(store, B)
    _by_partitions(store, A)
    _by_partitions(store, B)
    store.purge_students(A, ["s10101"], ["grades"], dry_run=False)
    assert store.snapshots.coll.find(A, {"type": "grades"}) == []
    assert len(store.snapshots.coll.find(B, {"type": "grades"})) == 6  # school B keeps its own
    assert "s10101" not in {d["student_id"] for d in _by_partitions(store, A)}


def test_a_semesters_records_come_from_the_snapshots_in_id_order(store, monkeypatch):
    seed_grades(store, A)
    seed_grades(store, B)
    expected = store.records["grades"].find(A, {"year": 115, "term": 1}, sort=[("_id", 1)])
    store.count_if_small(A, "grades")  # as an import does before it writes
    assert store.tallies.complete(A, "grades")
    assert store.semester_records("grades", A, 115, 1) == expected  # read once, and kept
    reads: list[dict] = []
    real_find = store.records["grades"].find
    monkeypatch.setattr(store.records["grades"], "find", lambda school, where, **kw: reads.append(where) or real_find(school, where, **kw))
    assert store.semester_records("grades", A, 115, 1) == expected and reads == []
    assert store.semester_records("grades", A, 113, 1) == []
