"""Pages and forms derived from the division table, checked without a server."""

from __future__ import annotations

import pytest

from gateway.blueprints.pages import PAGES, nav_for, pages_for
from gateway.record_forms import form_fields, page_data
from services.records import rules
from services.records.division import TYPES
from shared.caller import Caller
from shared.permissions import Permission, is_allowed
from shared.roles import Role

pytestmark = pytest.mark.unit  # needs no server: `make unit` runs it


def _caller(*roles: Role) -> Caller:
    return Caller(user_id="u", username="u", school_id="S", roles=frozenset(roles))


def test_every_record_type_has_one_page_for_its_readers_listed_in_the_nav_for_its_writers():
    by_path = {p.path: p for p in PAGES}
    assert len(by_path) == len(PAGES)
    for t in TYPES.values():
        page = by_path[f"/records/{t.key}"]
        assert (page.permission, page.nav) == (t.read, t.write)
    for role in Role:
        caller = _caller(role)
        assert set(map(id, nav_for(caller))) <= set(map(id, pages_for(caller)))
        for page in pages_for(caller):
            assert is_allowed(caller.roles, page.permission)


def test_a_form_has_exactly_the_fields_of_the_model_the_api_validates():
    for t in TYPES.values():
        fields = form_fields(t)
        assert {f.name for f in fields} == set(t.model.model_fields), t.key
        required = {n for n, f in t.model.model_fields.items() if f.is_required()}
        assert {f.name for f in fields if f.required} == required, t.key
        assert all(f.label and f.label != f.name for f in fields if f.name in dict(t.columns)), t.key


def test_choices_are_the_codes_the_validators_accept():
    by_name = {(t.key, f.name): f for t in TYPES.values() for f in form_fields(t)}
    assert set(by_name["attendance", "absence_type"].options) == set(rules.ABSENCE_TYPES)
    assert set(by_name["cadres", "level"].options) == set(rules.CADRE_LEVELS)
    assert set(by_name["students", "gender"].options) == set(rules.GENDERS)
    assert set(by_name["performances", "category"].options) == set(rules.CATEGORIES)
    assert by_name["course_evaluations", "academic_groups"].kind == "multi"
    assert by_name["competitions", "proof_evidence_id"].kind == "file"
    assert by_name["performances", "evidence_ids"].kind == "files"


def test_row_actions_are_offered_only_to_the_roles_that_may_call_them():
    organiser = page_data(TYPES["competitions"], frozenset({Role.CONTEST_ORGANIZER}))["actions"]
    student = page_data(TYPES["competitions"], frozenset({Role.STUDENT}))["actions"]
    registrar = page_data(TYPES["competitions"], frozenset({Role.REGISTRAR}))["actions"]
    assert [a["permission"] for a in organiser] == [Permission.SCHOOL_COMPETITIONS_WRITE]
    assert [a["permission"] for a in student] == [Permission.SCHOOL_COMPETITIONS_CLAIM]
    assert registrar == []


def test_a_student_is_not_offered_filters_for_other_students():
    assert "student_id" not in page_data(TYPES["attendance"], frozenset({Role.STUDENT}))["filters"]
    assert "student_id" in page_data(TYPES["attendance"], frozenset({Role.STUDENT, Role.DISCIPLINE}))["filters"]
