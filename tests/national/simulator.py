"""The national simulator as a real process (gunicorn) on a free port, and a small client for it."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.system import ROOT, free_port, wait_until


@dataclass
class SimProcess:
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SimProcess:
        self.port = self.port or free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LICHENG_NATIONAL_")},
            "PYTHONPATH": str(ROOT),
            "LICHENG_NATIONAL_BIND": f"127.0.0.1:{self.port}",
            "LICHENG_NATIONAL_DATA_DIR": str(self.data_dir),
            "LICHENG_NATIONAL_SECRET": self.secret,
            "LICHENG_NATIONAL_ADMIN_TOKEN": self.admin_token,
            **self.extra_env,
        }
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deploy.national_sim", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: requests.get(self.url + "/healthz", timeout=2).ok, 30, "the national simulator")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class SimClient:
    def __init__(self, sim: SimProcess) -> None:
        self.sim = sim
        self.http = requests.Session()
        self.admin_headers = {"Authorization": f"Bearer {sim.admin_token}"}

    def token(self, school: str) -> str:
        return self.http.get(f"{self.sim.url}/admin/keys/{school}", headers=self.admin_headers, timeout=10).json()["token"]

    def receipt_password(self, school: str) -> str:
        return self.http.get(f"{self.sim.url}/admin/keys/{school}", headers=self.admin_headers, timeout=10).json()["receipt_password"]

    def evidence(self, school: str, data: bytes, filename: str, key: str, sha: str | None = None) -> requests.Response:
        params = {"filename": filename, "sha256": sha or hashlib.sha256(data).hexdigest()}
        headers = {"Authorization": f"Bearer {self.token(school)}", "Idempotency-Key": key}
        return requests.post(f"{self.sim.url}/api/v1/evidence", params=params, data=data, headers=headers, timeout=30)

    def roster(self, school: str, data: bytes, filename: str, key: str, uploader: str = "註冊組長") -> requests.Response:
        params = {"filename": filename, "uploader": uploader, "sha256": hashlib.sha256(data).hexdigest()}
        headers = {"Authorization": f"Bearer {self.token(school)}", "Idempotency-Key": key}
        return requests.post(f"{self.sim.url}/api/v1/rosters", params=params, data=data, headers=headers, timeout=60)

    def get(self, school: str, path: str) -> requests.Response:
        return requests.get(self.sim.url + path, headers={"Authorization": f"Bearer {self.token(school)}"}, timeout=30)

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.sim.url + path, headers=self.admin_headers, timeout=30, **kwargs)

    def state(self, school: str | None = None) -> dict:
        return self.admin("GET", "/admin/state", params={"school": school} if school else None).json()

    def faults(self, config: dict) -> None:
        response = self.admin("POST", "/admin/faults", json=config)
        assert response.status_code == 200, response.text
