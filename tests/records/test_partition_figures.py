"""A semester's figures kept per partition (services/records/figure_store.py), on the real FerretDB:
the same as counting every record, computed again only for a partition written since, or for new
parameters, and gone with a purge."""

from __future__ import annotations

from services.records.store import RecordsStore
from tests.records.test_lists_at_size import A, B, grade, seed_grades, store

__all__ = ["store"]


def _count(rows: list[dict]) -> dict:
    return {"n": len(rows), "students": sorted({r["student_id"] for r in rows})}


def _figures(store: RecordsStore, school: str, params: str = "") -> list[dict]:
    return store.semester_figures("grades", school, 115, 1, "test", params, _count)


def _plain(store: RecordsStore, school: str) -> tuple[int, list[str]]:
    rows = store.records["grades"].find(school, {"year": 115, "term": 1})
    return len(rows), sorted({r["student_id"] for r in rows})


def _summed(values: list[dict]) -> tuple[int, list[str]]:
    return sum(v["n"] for v in values), sorted({s for v in values for s in v["students"]})


def test_figures_are_kept_per_partition_and_computed_again_only_where_written(store, monkeypatch):
    ids = seed_grades(store, A)
    seed_grades(store, B)
    store.count_if_small(A, "grades")
    assert _summed(_figures(store, A)) == _plain(store, A)
    assert len(store.figures.coll.find(A, {"type": "grades"})) == 3  # one per class of the semester

    computed: list[str] = []
    real_rows = store.figures.rows
    monkeypatch.setattr(store.figures, "rows", lambda school, key, part: computed.append(part["class"]) or real_rows(school, key, part))
    assert _summed(_figures(store, A)) == _plain(store, A) and computed == []  # all as kept

    store.insert("grades", A, grade(A, "s10102", 115, 1, "C3"))  # class 101
    assert _summed(_figures(store, A)) == _plain(store, A) and computed == ["101"]
    computed.clear()
    store.update("grades", A, next(i for i in ids if "s10201-1151" in i), {"score": 70})  # class 102, in place
    assert _summed(_figures(store, A)) == _plain(store, A) and computed == ["102"]
    computed.clear()
    store.update("students", A, f"{A}-s10301", {"class_code": "102"})  # moves partitions
    assert _summed(_figures(store, A)) == _plain(store, A)
    computed.clear()
    assert _summed(_figures(store, A, params="closes later")) == _plain(store, A) and sorted(computed) == ["101", "102"]

    assert _summed(_figures(store, B)) == _plain(store, B)  # school B's own


def test_a_purge_removes_the_figures_of_its_records(store):
    seed_grades(store, A)
    seed_grades(store, B)
    for school in (A, B):
        store.count_if_small(school, "grades")
        _figures(store, school)
    store.purge_students(A, ["s10101"], ["grades"], dry_run=False)
    assert store.figures.coll.find(A, {"type": "grades"}) == []
    assert len(store.figures.coll.find(B, {"type": "grades"})) == 3
    assert "s10101" not in _summed(_figures(store, A))[1]
