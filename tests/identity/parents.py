"""Parents for tests, made the way a school makes them: 註冊組 invites, the parent joins with the code."""

from __future__ import annotations

import requests

from tests.support.api import Client

PARENT_PASSWORD = "Parent-pass-1"


def invite(registrar: Client, student_ids: list[str] | None = None, class_code: str | None = None) -> list[dict]:
    """The slips of a new batch (student, class, seat, code, url), as the one download hands them out."""
    body = {"class_code": class_code} if class_code else {"student_ids": student_ids}
    created = registrar.post("/api/v1/guardians/invitations", json=body)
    assert created.status_code == 201, created.text
    sheet = registrar.get(created.json()["sheet_url"], headers={"Accept": "application/json"})
    assert sheet.status_code == 200, sheet.text
    return sheet.json()["slips"]


def join(base_url: str, code: str, username: str, name: str = "王家長", password: str = PARENT_PASSWORD) -> requests.Response:
    body = {"code": code, "username": username, "display_name": name, "password": password}
    return requests.post(base_url + "/api/v1/parent/join", json=body, timeout=30)


def parent_client(base_url: str, code: str, username: str, name: str = "王家長") -> Client:
    joined = join(base_url, code, username, name)
    assert joined.status_code == 201, joined.text
    return Client(base_url, token=joined.json()["token"])
