"""Many updates in one import chunk, on the real FerretDB: sent in bounded commands, all applied.

FerretDB 1.24 holds a PostgreSQL connection for each update statement of a command until the command
ends; one command of 1,000 updates took all 200 of its pool and froze the installation. The store sends
an import's chunk through `bulk_write_side_by_side` (a few small commands at once) and the rest through
`bulk_write_bounded`; a command listener sees every update command the server was sent.
"""

from __future__ import annotations

import secrets

import pytest
from pymongo import InsertOne, UpdateOne, monitoring
from pymongo.errors import BulkWriteError

from services.records.errors import RecordExists
from services.records.store import RecordsStore
from shared.config import Settings
from shared.mongo import UPDATES_PER_STREAM, bulk_write_bounded, bulk_write_side_by_side, make_client

SCHOOL = "930001"


class UpdateCommands(monitoring.CommandListener):
    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.sizes: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update" and event.command.get("update") == self.collection:
            self.sizes.append(len(event.command.get("updates", [])))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


@pytest.fixture()
def watched(request):
    listener = UpdateCommands(request.param if hasattr(request, "param") else "grades")
    settings = Settings()
    client = make_client(settings)
    watched_client = type(client)(settings.mongo_uri, tz_aware=True, event_listeners=[listener], serverSelectionTimeoutMS=5000)
    name = f"t{secrets.token_hex(4)}_bulk"
    yield watched_client[name], listener
    client.drop_database(name)
    watched_client.close()
    client.close()


def _grades(n: int) -> list[dict]:
    return [
        {"_id": f"g{i:05d}", "student_id": f"s{i // 15:04d}", "year": 114, "term": 1, "course_code": f"c{i % 15}", "score": 50}
        for i in range(n)
    ]


def test_a_thousand_changed_grades_go_in_small_commands_and_are_all_applied(watched):
    db, listener = watched
    store = RecordsStore(db)
    store.ensure_indexes()
    store.bulk_upsert("grades", SCHOOL, _grades(1000), [])
    listener.sizes.clear()

    store.bulk_upsert("grades", SCHOOL, [], [(f"g{i:05d}", {"score": 60 + i % 40}) for i in range(1000)])

    assert sum(listener.sizes) == 1000
    assert max(listener.sizes) <= UPDATES_PER_STREAM
    scores = {d["_id"]: d["score"] for d in db["grades"].find({"school_id": SCHOOL}, {"score": 1})}
    assert scores == {f"g{i:05d}": 60 + i % 40 for i in range(1000)}


@pytest.mark.parametrize("watched", ["items"], indirect=True)
def test_a_bounded_bulk_keeps_its_order_and_stops_where_one_ordered_bulk_would(watched):
    db, listener = watched
    coll = db["items"]
    ops = [InsertOne({"_id": "a", "n": 0})] + [UpdateOne({"_id": "a"}, {"$inc": {"n": 1}}) for _ in range(120)]
    ops += [InsertOne({"_id": "a"}), UpdateOne({"_id": "a"}, {"$set": {"after": True}})]  # a duplicate, then one more

    with pytest.raises(BulkWriteError):
        bulk_write_bounded(coll, ops)

    assert coll.find_one({"_id": "a"}) == {"_id": "a", "n": 120}  # every update before the failure, none after
    assert listener.sizes == [50, 50, 20]


def test_a_duplicate_in_a_chunk_is_still_a_clear_conflict(watched):
    db, _ = watched
    store = RecordsStore(db)
    store.ensure_indexes()
    store.bulk_upsert("grades", SCHOOL, _grades(3), [])
    with pytest.raises(RecordExists):
        store.bulk_upsert("grades", SCHOOL, _grades(3), [("g00000", {"score": 1})])


@pytest.mark.parametrize("watched", ["items"], indirect=True)
def test_side_by_side_commands_all_run_and_the_first_failure_is_raised_after(watched):
    db, listener = watched
    coll = db["items"]
    coll.insert_many([{"_id": f"u{i}", "n": 0} for i in range(35)] + [{"_id": "taken"}])
    ops = [UpdateOne({"_id": f"u{i}"}, {"$inc": {"n": 1}}) for i in range(35)]
    ops += [InsertOne({"_id": f"new{i}"}) for i in range(10)] + [InsertOne({"_id": "taken"})]

    with pytest.raises(BulkWriteError):
        bulk_write_side_by_side(coll, ops)

    assert sorted(listener.sizes) == [5, 10, 10, 10]  # updates in commands of at most UPDATES_PER_STREAM
    assert coll.count_documents({"n": 1}) == 35  # every update ran although an insert command failed
    assert coll.count_documents({"_id": {"$regex": "^new"}}) == 10  # the failed command stopped at its duplicate only
