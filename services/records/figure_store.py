"""Small figures of one partition's records (e.g. its entries on time and late), kept under the
partition's tally label, so a whole semester's figures read 60 small documents instead of unpacking
30,000 records.

A figure is computed from the partition's rows (its snapshot) with the caller's parameters (e.g. the
window's closing time) and kept beside them as one packed value: the label is the tally's
(`epoch`, `w`, `n`) as read before the rows, the same rule as the snapshots (snapshot_store.py). A
figure whose label or parameters differ is computed again at its next read; a tally without an epoch
is computed every time and not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.clock import utcnow
from shared.packed import pack, unpack
from shared.tenancy import SchoolCollection

Rows = list[dict[str, Any]]


def _label(part: dict[str, Any]) -> list[Any] | None:
    return None if part.get("epoch") is None else [part["epoch"], part.get("w"), part.get("n")]


class PartitionFigures:
    def __init__(self, figures: SchoolCollection, rows: Callable[[str, str, dict[str, Any]], Rows]) -> None:
        self.coll = figures
        self.rows = rows  # the partition's records, from its snapshot: (school, type, tally) -> rows

    def of(
        self, school_id: str, type_key: str, parts: list[dict[str, Any]], name: str, params: str, compute: Callable[[Rows], dict]
    ) -> list[dict[str, Any]]:
        """`compute(rows)` of every partition in `parts` (their tallies, as just read), kept ones as kept."""
        kept = {d["_id"]: d for d in self.coll.find(school_id, {"type": type_key, "name": name})}
        values = []
        for part in parts:
            figure_id, label = f"{part['_id']}:{name}", _label(part)
            doc = kept.get(figure_id)
            if label is not None and doc is not None and doc.get("label") == label and doc.get("params") == params:
                values.append(unpack(doc["value"])[0])
                continue
            value = compute(self.rows(school_id, type_key, part))
            if label is not None:
                self._keep(school_id, figure_id, {"type": type_key, "name": name, "label": label, "params": params}, value)
            values.append(value)
        return values

    def _keep(self, school_id: str, figure_id: str, about: dict[str, Any], value: dict[str, Any]) -> None:
        try:
            self.coll.update_one(school_id, {"_id": figure_id}, {"$set": {**about, "value": pack([value]), "at": utcnow()}}, upsert=True)
        except DuplicateKeyError:  # another reader kept the same figure at the same moment
            pass

    def forget(self, school_id: str, type_key: str) -> None:
        """Drop the type's figures (its records were purged)."""
        self.coll.delete_many(school_id, {"type": type_key})
