"""Guard: our code stays inside FerretDB's MongoDB subset (docs/architecture.md §4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["services", "shared", "gateway", "deploy"]

FORBIDDEN = {
    r"start_session|with_transaction|start_transaction": "multi-document transactions",
    r"\$lookup": "$lookup",
    r"\$facet": "$facet",
    r"expireAfterSeconds": "TTL indexes",
    r"partialFilterExpression": "partial indexes",
    r"\bTEXT\b|[\"']text[\"']\s*\)": "text indexes",
    r"[\"']hashed[\"']\s*\)": "hashed indexes",  # an index key ("field", "hashed"), not a field named hashed
    r"\bGridFS\b|gridfs": "GridFS",
    r"\.watch\(": "change streams",
    r"\$(avg|first|last|stdDevPop|stdDevSamp|mergeObjects)\b": "$group accumulators other than $sum/$count",
}


def _python_files() -> list[Path]:
    return [p for top in SOURCES for p in (ROOT / top).rglob("*.py") if "var" not in p.parts]


def test_no_mongodb_features_outside_the_ferretdb_subset():
    offences = []
    for path in _python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, feature in FORBIDDEN.items():
                if re.search(pattern, line):
                    offences.append(f"{path.relative_to(ROOT)}:{number}: {feature}: {line.strip()}")
    assert not offences, "MongoDB features outside FerretDB's subset:\n" + "\n".join(offences)


def test_pipeline_updates_are_not_used():
    # An update given as a list is a pipeline update, which FerretDB 1.x does not support.
    pattern = re.compile(r"update_(one|many)\([^)]*,\s*\[")
    offences = [str(p) for p in _python_files() if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offences
