"""What a careless or hostile client sends gets a 4xx problem+json in zh-TW and English, never a 5xx:
deep JSON, NUL in ids and parameters, malformed JSON, a new school's first visit, unknown items; and the
OpenAPI document states what the request parser enforces."""

from __future__ import annotations

import pytest
import requests

from gateway.limits import MAX_DEPTH
from tests.conftest import make_school
from tests.support.api import assert_problem


def _post_raw(client, path: str, data: bytes) -> requests.Response:
    return client.post(path, data=data, headers={"Content-Type": "application/json"})


def test_deeply_nested_json_is_a_400_not_a_500(anonymous, school_a):
    body = assert_problem(_post_raw(anonymous, "/api/v1/auth/login", b'{"a":' * 20000 + b"1" + b"}" * 20000), 400, "malformed_json")
    assert body["detail"] and body["detail_en"]
    assert_problem(_post_raw(school_a.registrar, "/api/v1/records/students", b"[" * 50000 + b"]" * 50000), 400, "malformed_json")
    # Just past the limit, where the parser itself would cope: still refused, by the same rule.
    nested = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    assert_problem(_post_raw(school_a.registrar, "/api/v1/records/students", nested), 400, "malformed_json")


def test_malformed_json_syntax_is_400_and_invalid_content_422(anonymous):
    assert_problem(_post_raw(anonymous, "/api/v1/auth/login", b'{"username": "a",'), 400, "malformed_json")
    assert_problem(_post_raw(anonymous, "/api/v1/auth/login", b"\xff\xfe"), 400, "malformed_json")
    assert_problem(anonymous.post("/api/v1/auth/login", json={"username": 1}), 422, "validation_failed")


@pytest.mark.parametrize(
    "path", ["/api/v1/records/grades/%00", "/api/v1/outcomes/%00", "/api/v1/evidence/%00", "/api/v1/national/uploads/%00"]
)
def test_a_nul_in_a_path_id_is_a_400(school_a, path):
    body = assert_problem(school_a.registrar.get(path), 400, "control_character")
    assert body["title"] and body["title_en"]


def test_control_characters_in_query_parameters_and_bodies_are_refused(school_a, anonymous):
    assert_problem(school_a.registrar.get("/api/v1/records/students", params={"class_code": "10\x001"}), 400, "control_character")
    assert_problem(school_a.registrar.get("/api/v1/accounts", params={"role\x01": "x"}), 400, "control_character")
    assert_problem(school_a.registrar.get("/api/v1/accounts/" + "x" * 1001), 400, "parameter_too_long")
    body = assert_problem(anonymous.post("/api/v1/auth/login", json={"username": "a\x00b", "password": "x"}), 422, "validation_failed")
    assert body["errors"][0]["field"] == "username" and body["errors"][0]["code"] == "control_character"
    saved = school_a.registrar.post("/api/v1/accounts", json={"username": "nul1", "display_name": "甲\x00乙", "roles": ["student"]})
    assert_problem(saved, 422)
    assert_problem(anonymous.post("/api/v1/auth/login", json={"username\x00": "a", "password": "x"}), 422)
    # Text keeps its line breaks and tabs.
    assert anonymous.post("/api/v1/auth/login", json={"username": "a\tb", "password": "x\ny"}).status_code == 401


def test_too_long_strings_and_too_many_members_are_refused(anonymous):
    assert_problem(anonymous.post("/api/v1/auth/login", json={"username": "a" * 100_001, "password": "x"}), 422)
    assert_problem(anonymous.post("/api/v1/auth/login", json={"username": "a", "password": "x", "n": list(range(20_000))}), 413)
    assert_problem(_post_raw(anonymous, "/api/v1/auth/login", b'{"a": "' + b"x" * (1024 * 1024 + 1) + b'"}'), 413)


def test_a_school_without_a_semester_gets_409_with_the_step_to_take(system, district):
    school = make_school(system, district, "N00016", "癸高中")
    for path in (
        "/api/v1/completion",
        "/api/v1/working-group/dashboard",
        "/api/v1/working-group/trainings",
        "/api/v1/working-group/trainings/gaps",
    ):
        body = assert_problem(school.registrar.get(path), 409, "no_semester")
        assert "學期行事曆" in body["detail"] and "calendar" in body["detail_en"], body


def test_retrying_an_unknown_national_item_is_404(school_a):
    assert_problem(school_a.registrar.post("/api/v1/national/items/no-such-item/retry"), 404, "upload_item_not_found")


def test_openapi_states_the_parameter_limits_the_parser_enforces(anonymous):
    document = anonymous.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/outcomes/{outcome_id}"]["get"]
    param = next(p for p in operation["parameters"] if p["name"] == "outcome_id")
    assert param["schema"]["maxLength"] == 1000 and param["schema"]["pattern"]
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert {"400", "413", "415", "422", "429"} <= set(login["responses"])
    students = document["paths"]["/api/v1/records/students"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert students  # the body model, as validation uses it


def test_an_integer_path_id_out_of_range_is_422_not_500(school_a):
    assert_problem(school_a.registrar.post("/api/v1/terms/14181/113264371473867292541546114498895949825/selection-lock"), 422)
