"""Schemathesis over the whole published OpenAPI document, logged in as a registrar, a teacher and a
student of a seeded school: no answer is a 5xx, and every answer conforms to the document (status
code, content type, body schema).

Path ids that the seed knows (the account, student, class, semester, a student record, the year and
term) are filled in with real values, so routes with ids reach real data; the rest are generated.
Examples per operation and role: LICHENG_SCHEMATHESIS_EXAMPLES (default 3, a few minutes in all).
"""

from __future__ import annotations

import os
import re
import time
import traceback

import hypothesis_jsonschema._from_schema as jsonschema_strategies
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from shared.roles import Role
from tests.support.api import Client

EXAMPLES = int(os.environ.get("LICHENG_SCHEMATHESIS_EXAMPLES", "3"))
# A developer's narrowing: only operations whose path matches, and the last refusal of each printed.
ONLY = re.compile(os.environ.get("LICHENG_SCHEMATHESIS_ONLY", ""))
VERBOSE = bool(os.environ.get("LICHENG_SCHEMATHESIS_VERBOSE"))
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
# Routes that end the very session the run is logged in with.
FUZZ_ADDRESS = "10.250.0.17"
SKIPPED = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/sessions/logout-everywhere")}


@schemathesis.serializer("application/zip")
class _ZipBody:
    """A receipt ZIP's body is the file's bytes as they are (schemathesis knows octet-stream, not zip)."""

    def as_requests(self, context, value):
        return {"data": value if isinstance(value, bytes) else str(value).encode()}

    def as_werkzeug(self, context, value):
        return self.as_requests(context, value)


def _cache_regex_strategies() -> None:
    """hypothesis-jsonschema builds a pattern's strategy again for every example it draws; the document's
    character classes (every control and format character refused) make that slow, so each is built once."""
    build = getattr(jsonschema_strategies.from_js_regex, "__wrapped__", jsonschema_strategies.from_js_regex)
    built: dict[tuple, object] = {}

    def from_js_regex(pattern: str, alphabet):
        key = (pattern, getattr(alphabet, "allow_x00", None), getattr(alphabet, "codec", None))
        if key not in built:
            built[key] = build(pattern, alphabet)
        return built[key]

    from_js_regex.__wrapped__ = build  # type: ignore[attr-defined]
    jsonschema_strategies.from_js_regex = from_js_regex


@pytest.fixture(scope="module")
def seeded(system, district):
    from tests.records.conftest import _account, fresh_school

    school = fresh_school(system, district, "Z00017", "模糊測試高中", "z")
    registrar = school.registrar
    # The account the registrar's routes may change at will (never one the run is logged in as).
    _, victim = _account(registrar, system.base_url, school.code, "z-victim", ["student"])
    semesters = registrar.get("/api/v1/records/semesters").json()
    students = registrar.get("/api/v1/records/students").json()["items"]
    known = {
        "account_id": victim,
        "student_id": "S002",
        "class_code": "101",
        "year": str(school.year),
        "term": str(school.term),
        "code": school.code,
        "semester_id": semesters[0]["id"],
        "record_id": students[0]["id"],
    }
    known["kind"] = "autobiography"
    # Working-group ids, so their routes reach a real training and member too.
    group = school.clients[Role.WORKING_GROUP]
    for name, path, body in (
        (
            "training_id",
            "/api/v1/working-group/trainings",
            {"kind": "teacher_workshop", "year": school.year, "title": "模糊測試研習", "planned_on": "2026-03-01"},
        ),
        (
            "member_id",
            "/api/v1/working-group/members",
            {"position": "instruction_head", "name": "模糊測試委員", "term_starts": "2026-02-01"},
        ),
    ):
        created = group.post(path, json=body)
        if created.status_code == 201:
            known[name] = created.json()["id"]
    clients = {"registrar": registrar, "teacher": school.clients[Role.TEACHER], "student": school.students["S001"]}
    return known, clients


def _run_operation(operation, client: Client, known: dict[str, str], failures: list[str], role: str, refused: dict[str, list[int]]) -> None:
    @given(case=operation.as_strategy(), pick=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case, pick: bool) -> None:
        if case.path_parameters and pick:  # half the examples reach the seeded data, half generated ids
            for name in case.path_parameters:
                if name in known:
                    case.path_parameters[name] = known[name]
        # Its failed logins come from an address of its own: the throttle per address must not lock out other tests.
        headers = {"Authorization": f"Bearer {client.token}", "X-Forwarded-For": FUZZ_ADDRESS}
        response = case.call(base_url=client.base_url, headers=headers, timeout=60)
        tally = refused.setdefault(f"{role} {operation.method.upper()} {operation.path}", [0, 0, ""])
        tally[0] += response.status_code == 422
        tally[1] += 1
        if response.status_code == 422:
            tally[2] = f"{case.query or ''} {str(case.body)[:160]} -> {response.text[:300]}"
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # every kind of check failure is reported, then the next example
            failures.append(
                f"{role} {operation.method.upper()} {case.formatted_path} -> {response.status_code}: "
                f"{str(exc).strip()[:400]} | {response.text[:200]}"
            )

    try:
        run()
    except Exception:
        failures.append(f"{role} {operation.method.upper()} {operation.path}: {traceback.format_exc(limit=2)[-400:]}")


@pytest.mark.timeout(1800)
def test_the_whole_api_answers_no_5xx_and_conforms_to_its_schema(system, seeded):
    known, clients = seeded
    started = time.monotonic()
    _cache_regex_strategies()
    document = Client(system.base_url).get("/api/v1/openapi.json").json()
    schemathesis.experimental.OPEN_API_3_1.enable()  # the document is OpenAPI 3.1 (pydantic's JSON Schema)
    # The run sends its own real token; generated cookies and Authorization values would only be refused
    # by gunicorn's HTTP parser (not the application) when they hold bytes no header may hold.
    schema = schemathesis.from_dict(
        document, base_url=system.base_url, generation_config=schemathesis.GenerationConfig(with_security_parameters=False)
    )
    failures: list[str] = []
    # Per role and operation: answers 422 to document-valid requests, of all sent. An operation that refuses
    # every one states less in its document than its validation enforces (or needs data the run lacks).
    refused: dict[str, list] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150
    for role, client in clients.items():
        for operation in operations:
            if (operation.method.upper(), operation.path) in SKIPPED or not ONLY.search(operation.path):
                continue
            _run_operation(operation, client, known, failures, role, refused)
    print(f"schemathesis: {len(operations)} operations x {len(clients)} roles in {time.monotonic() - started:.0f} s")
    always = sorted(key for key, (count, sent, _) in refused.items() if sent and count == sent)
    print(f"schemathesis: {len(always)} role x operation pairs answered 422 to every document-valid request:")
    for key in always:
        print(f"  {key}: {refused[key][2]}" if VERBOSE else f"  {key}")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:80])
