"""Talking to the gateway over HTTP the way users do."""

from __future__ import annotations

from dataclasses import dataclass

import requests


@dataclass
class Client:
    base_url: str
    token: str | None = None
    session: requests.Session | None = None

    def __post_init__(self) -> None:
        self.session = self.session or requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})  # a copy: a caller's dict is not given our token
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if method == "POST" and (path.endswith("/import") or path == "/api/v1/national/rosters"):
            # Imports and roster checks are jobs (202 + the job's URL); tests of what one does wait for
            # its end. Tests of the job itself send their own Prefer (e.g. an empty one for the 202).
            headers.setdefault("Prefer", "wait=20")
        return self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def login(base_url: str, school_code: str, username: str, password: str) -> Client:
    """Logs in; an account whose password was set by someone else first makes it its own (keeping it,
    so tests log in again with the password they gave), as every such account must before using the API."""
    response = requests.post(
        base_url + "/api/v1/auth/login", timeout=30, json={"school_code": school_code, "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    token = body["token"]
    if body["account"]["must_change_password"]:
        token = own_password(base_url, token, password)
    return Client(base_url, token=token)


def own_password(base_url: str, token: str, password: str, new_password: str | None = None) -> str:
    """The first thing an account with an initial password does: set its own; returns the new access token."""
    changed = requests.put(
        base_url + "/api/v1/me/password",
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
        json={"current_password": password, "new_password": new_password or password},
    )
    assert changed.status_code == 200, changed.text
    return changed.json()["token"]


def assert_problem(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text[:500]}"
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["title_en"]
    if code is not None:
        assert body["code"] == code, body
    return body
