"""Request validation: zh-TW field errors, unicode edge cases in names."""

from __future__ import annotations

import pytest

from services.identity.schemas import CreateAccount
from shared.errors import ValidationFailed
from shared.validation import parse

BASE = {"username": "s001", "roles": ["student"]}


@pytest.mark.parametrize("name", ["王小明", "𠀾𠁆", "Ｗａｎｇ", "林 美", "é" * 50, "阿美族名 Kolas"])
def test_names_in_any_script_are_accepted(name):
    assert parse(CreateAccount, {**BASE, "display_name": name}).display_name


def test_names_are_nfc_normalised():
    decomposed = "e\u0301"
    assert parse(CreateAccount, {**BASE, "display_name": decomposed}).display_name == "\u00e9"


@pytest.mark.parametrize("name", ["", "   ", "a\u202eb", "a\x00b", "a\u200bb", "字" * 51])
def test_bad_names_are_refused_with_a_field_error(name):
    with pytest.raises(ValidationFailed) as info:
        parse(CreateAccount, {**BASE, "display_name": name})
    error = info.value.errors[0]
    assert error["field"] == "display_name" and error["message"] and error["message_en"]


def test_limits_count_characters_not_bytes():
    assert parse(CreateAccount, {**BASE, "display_name": "字" * 50})


def test_unknown_fields_and_non_objects_are_refused():
    with pytest.raises(ValidationFailed):
        parse(CreateAccount, {**BASE, "display_name": "x", "is_admin": True})
    with pytest.raises(ValidationFailed):
        parse(CreateAccount, ["not", "an", "object"])
