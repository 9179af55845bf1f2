"""The national rules of one academic year (學年度), loaded from data files.

`data/base.json` holds the facts; `data/<year>.json` names the file it inherits from and overrides
what changed that year, so a new year's rule is a new data file, not a code change. Merging: objects
merge key by key, lists and values replace, `null` removes a key.

Anything the sources could not confirm carries `uncertain: true` with a zh-TW `note` and an English
`note_en`; `YearRules.uncertainties()` lists them for the admin settings page.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from shared.clock import to_taipei

DATA_DIR = Path(__file__).resolve().parent / "data"
FREE_TEXT = "text"  # the column type when column_types names none
# Sheet names in public templates carry a stray TAB (stored as the OOXML escape _x0009_) or a
# trailing space; we match names after removing both.
_SHEET_NOISE = re.compile(r"(_x0009_|\s)+$")


class UnknownYear(LookupError):
    pass


class UnknownRoster(LookupError):
    pass


def normalise_sheet_name(name: str) -> str:
    return _SHEET_NOISE.sub("", name.replace("\t", "")).strip()


def deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _load_file(name: str, seen: tuple[str, ...] = ()) -> dict:
    if name in seen:
        raise ValueError(f"rule files inherit in a cycle: {' -> '.join((*seen, name))}")
    path = DATA_DIR / f"{name}.json"
    if not path.exists():
        raise UnknownYear(name)
    data = json.loads(path.read_text(encoding="utf-8"))
    parent = data.pop("inherits", None)
    if parent is None:
        return data
    return deep_merge(_load_file(str(parent), (*seen, name)), data)


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    table: str | None = None
    kind: str | None = None  # evidence columns: "document" or "media"
    min: float | None = None
    max: float | None = None
    uncertain: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    receipt_array: str = ""
    uncertain: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @cached_property
    def known_columns(self) -> frozenset[str]:
        """The column names as a set, made once per sheet (every row of a roster is checked against it)."""
        return frozenset(c.name for c in self.columns)

    def matches(self, name: str) -> bool:
        wanted = normalise_sheet_name(name)
        return wanted == self.name or wanted in {normalise_sheet_name(a) for a in self.aliases}


@dataclass(frozen=True)
class Cap:
    limit_name: str
    limit: int
    per: tuple[str, ...]  # columns that name the period (first present wins); empty = the whole roster


@dataclass(frozen=True)
class Roster:
    code: int
    name: str
    category: str
    period: str  # "semester" (封面 學期 1 or 2) or "annual" (學期 0)
    receipt_root: str
    sheets: tuple[Sheet, ...]
    cap: Cap | None = None
    certified: bool = False
    per_student: bool = True
    grades: tuple[int, ...] = ()
    uncertain: bool = False

    @property
    def semesters(self) -> tuple[int, ...]:
        return (0,) if self.period == "annual" else (1, 2)

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.matches(name)), None)


@dataclass(frozen=True)
class FileKind:
    name: str
    extensions: tuple[str, ...]
    max_bytes: int


@dataclass(frozen=True)
class CodeTable:
    key: str
    name: str
    values: dict[str, str]
    open: bool = False  # free text with suggested values, or a list we do not have: not checked
    uncertain: bool = False

    def accepts(self, value: str) -> bool:
        return self.open or value in self.values


@dataclass(frozen=True)
class YearRules:
    year: int
    data: dict = field(repr=False)

    # ---- limits and simple facts
    def limit(self, name: str) -> Any:
        return self.data["limits"][name]["value"]

    @property
    def summary_max_chars(self) -> int:
        return int(self.limit("summary_max_chars"))

    @property
    def national_outcomes_per_semester(self) -> int:
        return int(self.limit("national_outcomes_per_semester"))

    @property
    def performances_per_year(self) -> int:
        return int(self.limit("performances_per_year"))

    @property
    def school_outcomes_per_semester(self) -> tuple[int, int]:
        low, high = self.limit("school_outcomes_per_semester")
        return int(low), int(high)

    @property
    def cover_sheet(self) -> str:
        return self.data["cover"]["sheet"]

    @property
    def cover_columns(self) -> list[str]:
        return list(self.data["cover"]["columns"])

    def is_cover_sheet(self, name: str) -> bool:
        wanted = normalise_sheet_name(name)
        return wanted in {self.cover_sheet, *(normalise_sheet_name(a) for a in self.data["cover"].get("aliases", []))}

    # ---- files
    def file_kinds(self) -> list[FileKind]:
        files = self.data["files"]
        return [
            FileKind(name, tuple(e.lower() for e in files[name]["extensions"]), int(files[name]["max_bytes"]))
            for name in ("document", "media")
            if name in files
        ]

    def file_kind_for(self, filename: str) -> FileKind | None:
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return next((k for k in self.file_kinds() if extension in k.extensions), None)

    # ---- codes
    def code_table(self, key: str) -> CodeTable:
        raw = self.data["codes"][key]
        return CodeTable(key, raw["name"], dict(raw["values"]), bool(raw.get("open")), bool(raw.get("uncertain")))

    # ---- school and course codes
    def school_code_ok(self, code: str) -> bool:
        return bool(re.fullmatch(self.data["school_code"]["pattern"], code or ""))

    @property
    def course_code_length(self) -> int:
        return int(self.data["course_code"]["length"])

    def course_code_ok(self, code: str) -> bool:
        return len(code) == self.course_code_length and bool(re.fullmatch(self.data["course_code"]["pattern"], code))

    def course_code_parts(self, code: str) -> dict[str, str]:
        """Split a 課程代碼 by the configured widths (unverified: see the data's note)."""
        if not self.course_code_ok(code):
            raise ValueError(f"not a {self.course_code_length}-character course code: {code!r}")
        parts, start = {}, 0
        for name, width in self.data["course_code"]["split"]:
            parts[name] = code[start : start + int(width)]
            start += int(width)
        return parts

    # ---- rosters
    def roster_codes(self) -> list[int]:
        return sorted(int(c) for c in self.data["rosters"])

    def roster(self, code: int | str) -> Roster:
        raw = self.data["rosters"].get(str(code))
        if raw is None:
            raise UnknownRoster(str(code))
        shape = self.data["rosters"][raw["same_as"]] if "same_as" in raw else raw
        cap = None
        if "cap" in shape:
            cap = Cap(shape["cap"]["limit"], int(self.limit(shape["cap"]["limit"])), tuple(shape["cap"]["per"]))
        return Roster(
            code=int(code),
            name=raw["name"],
            category=shape["category"],
            period=shape["period"],
            receipt_root=shape["receipt_root"],
            sheets=tuple(self._sheet(s) for s in shape["sheets"]),
            cap=cap,
            certified=bool(shape.get("certified")),
            per_student=bool(shape.get("per_student", True)),
            grades=tuple(raw.get("grades", ())),
            uncertain=bool(raw.get("uncertain") or shape.get("uncertain")),
        )

    def batch_rosters(self, batch: int) -> dict[int, int]:
        """The 高三 梯次 `batch` (1 or 2): the roster each of its rosters has the shape of -> its own code."""
        return {int(raw["same_as"]): int(code) for code, raw in self.data["rosters"].items() if raw.get("batch") == batch}

    def roster_in_use(self, code: int | str) -> bool:
        """Whether this year uploads the roster at all: the rules data may retire one from a year on
        (`in_use_until_year`, with the sources in `in_use_note`) when newer sources moved its sheets."""
        raw = self.data["rosters"].get(str(code))
        if raw is None:
            return False
        until = raw.get("in_use_until_year")
        return until is None or self.year <= int(until)

    def _sheet(self, raw: dict) -> Sheet:
        extra_required = set(raw.get("required", ()))
        return Sheet(
            name=raw["name"],
            columns=tuple(self._column(name, name in extra_required) for name in raw["columns"]),
            aliases=tuple(raw.get("aliases", ())),
            receipt_array=raw.get("receipt_array", raw["name"]),
            uncertain=bool(raw.get("uncertain")),
        )

    def _column(self, name: str, required: bool) -> Column:
        spec = self.data["column_types"].get(name, {})
        return Column(
            name=name,
            type=spec.get("type", FREE_TEXT),
            required=required or bool(spec.get("required")),
            table=spec.get("table"),
            kind=spec.get("kind"),
            min=spec.get("min"),
            max=spec.get("max"),
            uncertain=bool(spec.get("uncertain")),
        )

    # ---- file names
    def roster_filename(self, school_code: str, semester: int, roster_code: int, moment: datetime) -> str:
        """`{學校代碼}_{學年度}_{學期}_{名冊別}_{yyyyMMdd_HH_mm_ss}.xlsx`, the time in Asia/Taipei."""
        stamp = to_taipei(moment).strftime("%Y%m%d_%H_%M_%S")
        return f"{school_code}_{self.year}_{semester}_{roster_code}_{stamp}{self.data['file_name']['extension']}"

    # ---- the admin page
    def uncertainties(self) -> list[dict[str, str]]:
        """Every fact marked uncertain, with its path in the data and its notes."""
        found: list[dict[str, str]] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, dict):
                if node.get("uncertain"):
                    found.append({"path": path, "note": node.get("note", ""), "note_en": node.get("note_en", "")})
                for key, value in node.items():
                    walk(value, f"{path}.{key}" if path else key)
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{path}[{i}]")

        walk(self.data, "")
        return found

    def as_json(self) -> dict:
        return {"year": self.year, **copy.deepcopy(self.data)}


_FILENAME = re.compile(
    r"^(?P<school>[0-9A-Za-z]{6})_(?P<year>\d{2,3})_(?P<semester>[012])_(?P<roster>\d{1,2})_(?P<stamp>\d{8}_\d{2}_\d{2}_\d{2})(\.xlsx)?$"
)


def parse_roster_filename(name: str) -> dict[str, Any]:
    """The parts of a roster file name; ValueError when it does not follow the rule."""
    match = _FILENAME.match(name)
    if not match:
        raise ValueError(f"not a roster file name ({{學校代碼}}_{{學年度}}_{{學期}}_{{名冊別}}_{{yyyyMMdd_HH_mm_ss}}): {name!r}")
    stamp = datetime.strptime(match["stamp"], "%Y%m%d_%H_%M_%S")
    return {
        "school_code": match["school"],
        "year": int(match["year"]),
        "semester": int(match["semester"]),
        "roster_code": int(match["roster"]),
        "stamp": stamp,
    }


def known_years() -> list[int]:
    return sorted(int(p.stem) for p in DATA_DIR.glob("*.json") if p.stem.isdigit())


@lru_cache(maxsize=32)
def rules_for(year: int) -> YearRules:
    """The rules of 學年度 `year`; UnknownYear when no data file exists for it."""
    if int(year) not in known_years():
        raise UnknownYear(str(year))
    return YearRules(int(year), _load_file(str(int(year))))


def rules_with(year: int, overrides: dict) -> YearRules:
    """Rules of `year` with extra overrides applied (a year file in the making; tests)."""
    return YearRules(int(year), deep_merge(rules_for(year).data, overrides))
