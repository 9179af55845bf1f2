"""How records' modules describe which documents they mean, without speaking MongoDB.

A `Where` maps a field to the value it must equal, or to a `OneOf` / `NoneOf` set, or to `ABSENT`
(the field is not set). `Visible` is what a caller may see of a record type: the whole school, or
any of a few `Where` alternatives. Only the store (store.py) turns these into MongoDB filters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OneOf:
    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(sorted(set(values), key=str)))


@dataclass(frozen=True)
class NoneOf:
    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", tuple(sorted(set(values), key=str)))


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()

Where = dict[str, Any]


@dataclass(frozen=True)
class Visible:
    """None: the whole school; otherwise a record is visible when it matches any alternative (none: nothing)."""

    alternatives: tuple[Where, ...] | None = None

    @property
    def whole_school(self) -> bool:
        return self.alternatives is None

    def students(self, field: str) -> set[str] | None:
        """The students the alternatives name in `field` (None: not limited that way)."""
        if self.alternatives is None:
            return None
        found: set[str] = set()
        for alt in self.alternatives:
            value = alt.get(field)
            if isinstance(value, OneOf):
                found |= set(value.values)
        return found


EVERYTHING = Visible(None)
NOTHING = Visible(())
