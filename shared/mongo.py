"""MongoDB access: one client per process, one database per service (docs/architecture.md §3).

Our code stays inside FerretDB's subset (docs/architecture.md §4); tests/test_mongo_subset.py guards it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider
from pymongo import MongoClient, ReplaceOne, UpdateMany, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from shared.config import Settings, load_settings

S = TypeVar("S")


def make_client(settings: Settings) -> MongoClient:
    return MongoClient(
        settings.mongo_uri,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
        appname="licheng",
    )


def is_ferretdb(client: MongoClient) -> bool:
    """Is the server FerretDB (a MongoDB subset on PostgreSQL), not MongoDB itself?"""
    return "ferretdbVersion" in client.admin.command("buildInfo")


# FerretDB 1.24 holds one PostgreSQL connection for each update statement of a command until the whole
# command ends. A command with more update statements than its pool (200 connections, shared by every
# service of the district) waits for ever, and every other query of the installation waits behind it:
# one bulk of 1,000 changed grades froze the database. Deletes and inserts hold none.
UPDATES_PER_COMMAND = 50
_UPDATES = (UpdateOne, UpdateMany, ReplaceOne)


def bulk_write_bounded(collection: Collection, ops: Sequence[Any]) -> None:
    """`bulk_write(ops, ordered=True)` sent as commands of at most UPDATES_PER_COMMAND update statements,
    in the same order (a failure stops at the same operation as one ordered bulk would)."""
    batch: list[Any] = []
    updates = 0
    for op in ops:
        is_update = isinstance(op, _UPDATES)
        if is_update and updates == UPDATES_PER_COMMAND:
            collection.bulk_write(batch, ordered=True)
            batch, updates = [], 0
        batch.append(op)
        updates += is_update
    if batch:
        collection.bulk_write(batch, ordered=True)


# FerretDB runs a command's statements one after another, each in its own PostgreSQL transaction, so
# one command waits on each commit in turn; commands side by side overlap those waits (measured on the
# 2-core machine: 1,000 updates/s with 4 commands of 10 at once, 340-570/s with one command of 50).
STREAMS = 4
UPDATES_PER_STREAM = 10  # STREAMS x UPDATES_PER_STREAM connections held at most: far below the pool


def side_by_side(work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """`work(item)` for each item, up to STREAMS at once where the process is green (each sends its
    own commands, so FerretDB overlaps their commits); the results in the items' order."""
    return list(GreenPool(STREAMS).imap(work, items))


def bulk_write_side_by_side(collection: Collection, ops: Sequence[Any]) -> int:
    """Independent operations (each on a document of its own, in no particular order) as up to STREAMS
    commands at once, each holding at most UPDATES_PER_STREAM update statements; how many documents
    the updates matched. Every command runs even if another fails; the first failure is raised once
    all have ended. Side by side only where the process is green (a service); elsewhere the same
    commands run one after another."""
    inserts = [op for op in ops if not isinstance(op, _UPDATES)]
    updates = [op for op in ops if isinstance(op, _UPDATES)]
    per_stream = max(1, -(-len(inserts) // STREAMS))
    commands = [inserts[i : i + per_stream] for i in range(0, len(inserts), per_stream)]
    commands += [updates[i : i + UPDATES_PER_STREAM] for i in range(0, len(updates), UPDATES_PER_STREAM)]

    def send(command: list[Any]) -> BaseException | int:
        try:
            return collection.bulk_write(command, ordered=True).matched_count
        except Exception as exc:  # raised below, once the other commands ended
            return exc

    outcomes = side_by_side(send, commands)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]
    return sum(o for o in outcomes if isinstance(o, int))


class StoreProvider(DependencyProvider, Generic[S]):
    """Gives each worker the service's store, built once per container on the service's database.

    `factory(db)` builds the store; its `ensure_indexes()` runs at container start.
    """

    def __init__(self, service_name: str, factory: Callable[[Database], S]) -> None:
        self.service_name = service_name
        self.factory = factory
        self.client: MongoClient | None = None
        self.store: S | None = None

    def setup(self) -> None:
        settings = load_settings()
        self.client = make_client(settings)
        self.store = self.factory(self.client[settings.database_name(self.service_name)])
        ensure = getattr(self.store, "ensure_indexes", None)
        if ensure:
            ensure()

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> S:
        assert self.store is not None
        return self.store
