"""Faults on the replicated topology (deploy/native/cluster.sh): one RabbitMQ node of three killed
while registrars write, one SeaweedFS volume server of three killed while students upload, FerretDB
and PostgreSQL killed and restarted, a service process killed and restarted.

Outcome for each: every request answered 2xx was stored, nothing else was answered but 2xx or a 503
problem (never a 500, never a hang past the client's timeout), and the system recovered by itself;
the recovery time is measured and written to var/chaos/<fault>.json (not asserted: a loaded machine
moves it).
"""

from __future__ import annotations

import itertools
import json
import secrets
import signal
import threading
import time

import requests

from tests.chaos import cluster
from tests.evidence import files
from tests.support.api import Client, login
from tests.support.system import ROOT, TestSystem

REPORTS = ROOT / "var" / "chaos"
PASSWORD = "Chaos-pass-1"
# a liveness bound, not a performance goal: far above the few seconds recovery takes
RECOVERY_LIMIT_S = 120


def report(fault: str, figures: dict) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{fault}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"\n{fault}: {figures}")


# class codes are three digits and unique across the module's tests (a repeated code is an update)
CLASS_CODES = itertools.count(100)


class Writer(threading.Thread):
    """Creates classes one after another until stopped, keeping every answer."""

    def __init__(self, client: Client) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.answers: list[tuple[float, str, int]] = []  # (time, class code, status)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and (n := next(CLASS_CODES)) < 1000:
            code = f"{n:03d}"
            try:
                status = self.client.post("/api/v1/records/classes", json={"year": 115, "code": code, "name": f"故障{code}班"}).status_code
            except requests.RequestException:
                status = 0  # no answer within the client's timeout
            self.answers.append((time.monotonic(), code, status))
            time.sleep(0.2)


def first_success_after(answers: list[tuple[float, str, int]], moment: float) -> float | None:
    return next((at - moment for at, _, status in answers if at > moment and 200 <= status < 300), None)


def writes_under_fault(school, fault: str, kill, restart, down_s: float = 3.0) -> None:
    """A registrar keeps writing while `kill()` breaks a part and `restart()` brings it back
    `down_s` later; every 201 must be stored and every other answer a 503, or a 200: a request the
    killed service had taken is delivered again to its restarted self, which finds the class its
    predecessor wrote and answers "already there" (creating a class is idempotent on its code)."""
    writer = Writer(school.registrar)
    writer.start()
    time.sleep(3)
    killed_at = time.monotonic()
    kill()
    time.sleep(down_s)
    restart()
    restarted_at = time.monotonic()
    deadline = restarted_at + RECOVERY_LIMIT_S
    while first_success_after(writer.answers, restarted_at) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)
    writer.stop.set()
    writer.join(timeout=90)

    recovered = first_success_after(writer.answers, restarted_at)
    statuses = [status for _, _, status in writer.answers]
    listed = school.registrar.get("/api/v1/records/classes", params={"year": 115, "per_page": 5000})
    assert listed.status_code == 200, listed.text
    stored = {row["code"] for row in listed.json()["items"]}
    acknowledged = {code for _, code, status in writer.answers if status in (200, 201)}
    report(
        fault,
        {
            "requests": len(statuses),
            "acknowledged": len(acknowledged),
            "stored_of_acknowledged": len(acknowledged & stored),
            "lost": len(acknowledged - stored),
            "answered_503": statuses.count(503),
            "answered_200_redelivered": statuses.count(200),
            "other_answers": sorted({s for s in statuses if s not in (200, 201, 503)}),
            "down_s": down_s,
            "restart_s": round(restarted_at - killed_at - down_s, 2),
            "first_success_after_restart_s": round(recovered, 2) if recovered is not None else None,
        },
    )
    assert recovered is not None, "no write succeeded after the fault"
    assert acknowledged <= stored, f"acknowledged but not stored: {sorted(acknowledged - stored)}"
    assert set(statuses) <= {200, 201, 503}, f"answers other than 200/201/503: {sorted(set(statuses))}"


def test_a_rabbitmq_node_killed_mid_writes_loses_nothing_acknowledged(on_cluster):
    _, school = on_cluster
    # the node every client connected to first; it stays down while the others carry on
    writes_under_fault(school, "rabbitmq-node-killed", lambda: cluster.run("kill", "rabbit1"), lambda: None, down_s=0)
    cluster.run("start", "rabbit1")


def test_ferretdb_killed_and_restarted_mid_writes(on_cluster):
    _, school = on_cluster
    writes_under_fault(school, "ferretdb-restarted", lambda: cluster.run("kill", "ferretdb"), lambda: cluster.run("start", "ferretdb"))


def test_postgresql_killed_and_restarted_mid_writes(on_cluster):
    _, school = on_cluster
    writes_under_fault(school, "postgresql-restarted", lambda: cluster.run("kill", "postgres"), lambda: cluster.run("start", "postgres"))


def test_the_records_service_killed_and_restarted_mid_writes(on_cluster):
    system, school = on_cluster
    writes_under_fault(
        school,
        "records-service-killed",
        lambda: system.stop_process("records", signal.SIGKILL),
        lambda: system.start_service("records"),
    )


def student(system: TestSystem, school) -> Client:
    created = school.registrar.post(
        "/api/v1/accounts",
        json={"username": "chaos-stu", "display_name": "故障測試生", "roles": ["student"], "password": PASSWORD, "student_id": "C-1"},
    )
    assert created.status_code in (201, 409), created.text
    return login(system.base_url, school.code, "chaos-stu", PASSWORD)


def upload(client: Client, data: bytes) -> tuple[int, dict | None]:
    """The browser's three steps; (status of the step that ended it, the stored record)."""
    try:
        form = client.post(
            "/api/v1/evidence/uploads",
            json={"kind": "document", "purpose": "outcome", "filename": "故障.pdf", "size": len(data), "content_type": "application/pdf"},
        )
        if form.status_code != 201:
            return form.status_code, None
        form = form.json()
        sent = requests.post(form["url"], data=form["fields"], files={"file": ("blob", data)}, timeout=30)
        if sent.status_code not in (200, 201, 204):
            return sent.status_code, None
        done = client.post(f"/api/v1/evidence/uploads/{form['upload_id']}/complete", json={})
        return done.status_code, done.json() if done.status_code == 200 else None
    except requests.RequestException:
        return 0, None


def test_a_volume_server_killed_mid_uploads_keeps_every_stored_file(on_cluster):
    system, school = on_cluster
    client = student(system, school)
    stored: dict[str, bytes] = {}
    statuses = []
    for round_ in range(2):
        if round_ == 1:
            killed_at = time.monotonic()
            cluster.run("kill", "volume1")
        for _ in range(8):
            data = files.pdf(50_000 + len(stored)) + secrets.token_bytes(64)
            status, record = upload(client, data)
            statuses.append(status)
            if record is not None:
                stored[record["id"]] = data
    recovered = time.monotonic() - killed_at

    readable = 0
    for evidence_id, data in stored.items():
        link = client.get(f"/api/v1/evidence/{evidence_id}/download")
        assert link.status_code == 200, link.text
        got = requests.get(link.json()["url"], timeout=30)
        assert got.status_code == 200 and files.sha256(got.content) == files.sha256(data), evidence_id
        readable += 1
    cluster.run("start", "volume1")
    report(
        "seaweedfs-volume-killed",
        {
            "uploads": len(statuses),
            "stored": len(stored),
            "readable_with_sha256": readable,
            "lost": len(stored) - readable,
            "answers": sorted(set(statuses)),
            "uploads_after_kill_s": round(recovered, 2),
        },
    )
    assert set(statuses) <= {200, 503}, f"answers other than 200/503: {sorted(set(statuses))}"
    assert statuses[8:].count(200) > 0, "no upload succeeded with one volume server down"
