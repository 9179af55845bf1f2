"""The shape every service keeps: contracts at the edges, MongoDB inside the stores, one meaning per error code."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from services.registry import SERVICES, import_error_modules
from shared.errors import LichengError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
SERVICE_PACKAGES = sorted({target.split(":")[0].rsplit(".", 1)[0] for target in SERVICES.values()})

# What a service publishes: its request/answer models and its errors. Records also publishes the
# record-type table and the regulation's constants (plain data the gateway builds forms and routes from).
CONTRACTS = {f"{package}.{module}" for package in SERVICE_PACKAGES for module in ("schemas", "errors")}
CONTRACTS |= {"services.records.division", "services.records.rules", "services.registry"}

# A MongoDB operator in a string literal ("$in", "$set", ...); JSON Schema's "$ref"/"$defs" are not.
MONGO_OPERATOR = re.compile(r"""["']\$(?!ref["']|defs["'])[a-zA-Z]+["']""")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _is_package(node.module):  # `from services.records import rules`: the modules named
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return found


def _spec(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _is_module(name: str) -> bool:
    return _spec(name) is not None


def _is_package(name: str) -> bool:
    spec = _spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def test_the_gateway_imports_only_service_contracts():
    wrong = []
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        for name in _imports(path):
            if name.startswith("services.") and name not in CONTRACTS and _is_module(name):
                wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert not wrong, "the gateway reaches into service internals:\n" + "\n".join(wrong)


def test_blueprints_do_not_import_each_other():
    """What two blueprints share lives in a gateway module of its own (e.g. gateway/downloads.py)."""
    wrong = []
    for path in sorted((ROOT / "gateway" / "blueprints").glob("*.py")):
        if path.name == "__init__.py":
            continue
        wrong += [f"{path.name}: {name}" for name in _imports(path) if name.startswith("gateway.blueprints")]
    assert not wrong, wrong


def test_no_mongodb_operator_outside_the_stores():
    """Queries live in each service's store.py (or a *_store.py); everything above names them."""
    found = []
    for folder in ("services", "shared", "gateway"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name.endswith("store.py"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if MONGO_OPERATOR.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "MongoDB operators above the store:\n" + "\n".join(found)


def _error_classes() -> list[type[LichengError]]:
    import_error_modules()
    importlib.import_module("gateway.problems")
    seen, todo = [], [LichengError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


def test_every_error_code_is_one_class():
    owners: dict[str, list[str]] = {}
    for cls in _error_classes():
        if "code" in vars(cls):
            owners.setdefault(cls.code, []).append(f"{cls.__module__}.{cls.__qualname__}")
    doubled = {code: names for code, names in owners.items() if len(names) > 1}
    assert not doubled, f"one code, several errors: {doubled}"


def test_every_error_says_what_it_means_in_both_languages():
    for cls in _error_classes():
        assert cls.title and cls.title_en and cls.code, cls
