"""How long the system took to answer normally again after a fault, measured from outside.

A probe asks, every PROBE_INTERVAL_S, the way a user would: is every service ready (`/readyz`: each
one answers its health RPC after pinging its database), and does a small evidence upload go through
(the presigned form, the POST to the object store, `complete`), all within SLOW_S? Each upload it
was acknowledged is read back afterwards with its SHA-256, like the rush's own. The recovery time is
from the kill to the first answer of the run of normal answers the probe ended on; a probe that
never failed reports its first normal answer after the kill.

The national side is watched apart: `NationalWatch` notes when the national simulator holds one
more accepted roster or file than it did when the part came back, i.e. when the national upload
moved again (None: nothing was left to send by then).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

import requests

from tests.evidence import files
from tests.support.api import Client

PROBE_INTERVAL_S = 0.5
STEADY_ANSWERS = 5  # normal answers in a row after the restart that end the probe
TIMEOUT_S = 10.0
# A round of questions normally takes a fraction of a second; one slower than this is not a normal answer
# (a request that waited in a queue for its service to come back, say).
SLOW_S = 3.0


class Probe(threading.Thread):
    def __init__(self, student: Client) -> None:
        super().__init__(daemon=True)
        self.base_url = student.base_url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {student.token}"
        self.samples: list[tuple[float, bool, str]] = []  # (monotonic time, normal, what failed)
        self.acks: list[tuple[str, str]] = []  # (evidence id, SHA-256) of uploads the probe was acknowledged
        self.durations: list[float] = []  # seconds each round of questions took
        self.restarted_at: float | None = None
        self.stop = threading.Event()

    def check(self) -> str:
        """'' when the system answered normally, else what did not."""
        try:
            ready = requests.get(self.base_url + "/readyz", timeout=TIMEOUT_S)
            if ready.status_code != 200:
                return f"readyz {ready.status_code}"
            data = files.pdf(4096) + secrets.token_bytes(32)
            body = {"kind": "document", "purpose": "outcome", "filename": "probe.pdf", "size": len(data), "content_type": "application/pdf"}
            form = self.http.post(self.base_url + "/api/v1/evidence/uploads", json=body, timeout=TIMEOUT_S)
            if form.status_code != 201:
                return f"request_upload {form.status_code}"
            form = form.json()
            sent = requests.post(form["url"], data=form["fields"], files={"file": ("probe.pdf", data)}, timeout=TIMEOUT_S)
            if sent.status_code not in (200, 201, 204):
                return f"store_post {sent.status_code}"
            done = self.http.post(f"{self.base_url}/api/v1/evidence/uploads/{form['upload_id']}/complete", json={}, timeout=TIMEOUT_S)
            if done.status_code != 200:
                return f"complete {done.status_code}"
            self.acks.append((done.json()["id"], hashlib.sha256(data).hexdigest()))
            return ""
        except requests.RequestException as exc:
            return type(exc).__name__

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            failed = self.check()
            took = time.monotonic() - started
            if not failed and took > SLOW_S:
                failed = "slow"  # answered, but not as the system answers
            self.samples.append((started, not failed, failed))
            self.durations.append(took)
            if self.restarted_at is not None and self.steady_since(self.restarted_at):
                return
            self.stop.wait(max(0.0, PROBE_INTERVAL_S - (time.monotonic() - started)))

    def steady_since(self, moment: float) -> bool:
        after = [ok for at, ok, _ in self.samples if at >= moment]
        return len(after) >= STEADY_ANSWERS and all(after[-STEADY_ANSWERS:])

    def recovery_after(self, killed_at: float) -> float | None:
        """Seconds from the kill to the first answer of the final run of normal answers (None: it never ended normally)."""
        after = [(at, ok) for at, ok, _ in self.samples if at >= killed_at]
        if not after or not after[-1][1]:
            return None
        first = len(after) - 1
        while first > 0 and after[first - 1][1]:
            first -= 1
        return round(after[first][0] - killed_at, 2)

    def slowest(self) -> float:
        return round(max(self.durations, default=0.0), 2)

    def failures(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for _, ok, what in self.samples:
            if not ok:
                counted[what] = counted.get(what, 0) + 1
        return counted

    def lost_uploads(self) -> list[str]:
        """Uploads the probe was acknowledged that cannot be read back byte for byte."""
        lost = []
        for evidence_id, sha in self.acks:
            deadline = time.monotonic() + 60
            while True:
                link = self.http.get(f"{self.base_url}/api/v1/evidence/{evidence_id}/download", timeout=30)
                if link.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(1)
            got = requests.get(link.json()["url"], timeout=30) if link.status_code == 200 else None
            if got is None or got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != sha:
                lost.append(evidence_id)
        return lost


class NationalWatch(threading.Thread):
    """When the national side accepted something again after a part came back."""

    def __init__(self, sim, schools: list[str]) -> None:
        super().__init__(daemon=True)
        self.sim = sim
        self.schools = schools
        self.baseline: int | None = None
        self.resumed_at: float | None = None
        self.stop = threading.Event()

    def held(self) -> int:
        return national_held(self.sim, self.schools)

    def restarted(self) -> None:
        self.baseline = self.held()
        self.start()

    def run(self) -> None:
        while not self.stop.wait(PROBE_INTERVAL_S):
            try:
                if self.held() > (self.baseline or 0):
                    self.resumed_at = time.monotonic()
                    return
            except requests.RequestException:
                continue


def national_held(sim, schools: list[str]) -> int:
    """Rosters and evidence files the national side holds for these schools."""
    total = 0
    for school in schools:
        state = sim.state(school)
        total += len(state.get("rosters", [])) + len(state.get("evidence", []))
    return total
