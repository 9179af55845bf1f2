"""A service's store on a throw-away database of the real MongoDB-protocol server, for service tests."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from pymongo.database import Database

from shared.config import Settings
from shared.mongo import make_client

S = TypeVar("S")


@contextmanager
def temporary_store(factory: Callable[[Database], S], label: str) -> Iterator[S]:
    client = make_client(Settings())
    name = f"t{secrets.token_hex(4)}_{label}"
    store = factory(client[name])
    ensure = getattr(store, "ensure_indexes", None)
    if ensure:
        ensure()
    try:
        yield store
    finally:
        client.drop_database(name)
        client.close()
