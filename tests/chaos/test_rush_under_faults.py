"""The deadline rush and the national upload at once, on the replicated topology, while a part fails.

Students upload, submit and select; teachers certify in bulk; the registrar's national upload runs
through the upload worker. Mid-rush one part is killed and brought back. The rush's own audit
(tests/load/audit.py, as `make rush` runs it) then checks that every acknowledged upload, outcome and
selection is stored and every national item accepted exactly once; the clients may have met 503s
(a journey that met one stops there, as a student would try again later), never another failure.

Only `make chaos` (LICHENG_CHAOS_FULL=1) runs these: with a broker node killed mid-rush, the
certification service was seen without a consumer for the rest of the run (every teacher_queue call
503 service_down), which is not repaired yet.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.chaos import cluster
from tests.chaos.test_cluster_faults import report
from tests.load.rush import Rush, RushConfig, Target, setup_school
from tests.national.simulator import SimClient, SimProcess

FULL = os.environ.get("LICHENG_CHAOS_FULL") == "1"
SMALL = RushConfig(
    students=8,
    schools=2,
    concurrency=8,
    max_seconds=240,
    files_min=1,
    files_max=2,
    doc_mb_min=0.01,
    doc_mb_max=0.1,
    media_share=0.0,
    think_s=0.4,
    national_after=0.5,
    national_timeout_s=180,
)


def _sim_down_for(sim: SimProcess, seconds: float):
    def kill() -> None:
        sim.stop()

    def restart() -> None:
        time.sleep(seconds)
        sim.start()

    return kill, restart


FAULTS = {
    "rabbitmq-node": (lambda env: cluster.run("kill", "rabbit1"), lambda env: cluster.run("start", "rabbit1")),
    "seaweedfs-volume": (lambda env: cluster.run("kill", "volume1"), lambda env: cluster.run("start", "volume1")),
    "ferretdb": (lambda env: cluster.run("kill", "ferretdb"), lambda env: cluster.run("start", "ferretdb")),
    "postgresql": (lambda env: cluster.run("kill", "postgres"), lambda env: cluster.run("start", "postgres")),
    "upload-worker": (lambda env: env["system"].stop_process("chaos-uploader", 9), lambda env: env["start_worker"]()),
    "records-service": (lambda env: env["system"].stop_process("records", 9), lambda env: env["system"].start_service("records")),
    "certification-service": (
        lambda env: env["system"].stop_process("certification", 9),
        lambda env: env["system"].start_service("certification"),
    ),
    "evidence-service": (lambda env: env["system"].stop_process("evidence", 9), lambda env: env["system"].start_service("evidence")),
    "national-simulator": (lambda env: env["sim"].stop(), lambda env: (time.sleep(60 if FULL else 10), env["sim"].start())),
}
FAST: set[str] = set()  # none yet: see the module docstring


@pytest.fixture(scope="module")
def rush_env(on_cluster, tmp_path_factory):
    system, _ = on_cluster
    sim = SimProcess(tmp_path_factory.mktemp("chaos-sim") / "data").start()

    def start_worker() -> None:
        system.start_upload_worker("chaos-uploader", {"LICHENG_NATIONAL_URL": sim.url, "LICHENG_UPLOAD_PREFETCH": "2"})

    start_worker()
    env = {"system": system, "sim": sim, "start_worker": start_worker}
    try:
        yield env
    finally:
        system.stop_process("chaos-uploader")
        sim.stop()


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_rush_and_the_national_upload_lose_nothing_when_a_part_fails(fault, rush_env, on_cluster):
    if fault not in FAST and not FULL:
        pytest.skip("make chaos runs this fault (LICHENG_CHAOS_FULL=1)")
    system, _ = on_cluster
    district = system_district(system)
    target = Target(system.base_url, district, SimClient(rush_env["sim"]), system.settings())
    tag = secrets.token_hex(2).upper()[:3]
    with ThreadPoolExecutor(SMALL.schools) as pool:
        schools = list(pool.map(lambda n: setup_school(target, n, SMALL.students // SMALL.schools, tag), range(SMALL.schools)))
    rush = Rush(target, SMALL, schools)
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(rush.run()), daemon=True)
    runner.start()
    # strike once the students are under way (a selection means uploads, outcomes and certification ran)
    deadline = time.monotonic() + 120
    while rush.selected_count < 2 and time.monotonic() < deadline and runner.is_alive():
        time.sleep(0.5)
    kill, restart = FAULTS[fault]
    struck = time.monotonic()
    kill(rush_env)
    time.sleep(3)
    restart(rush_env)
    recovered = time.monotonic() - struck
    runner.join(timeout=SMALL.max_seconds + SMALL.national_timeout_s + 60)
    assert not runner.is_alive(), "the rush did not end"

    audit = result["audit"]
    errors = result["errors"]
    other = {key: n for key, n in errors.items() if ": HTTP 503" not in key}
    report(
        f"rush-{fault}",
        {
            "students": SMALL.students,
            "finished": result["students_finished"],
            "checked": audit["checked"],
            "lost": audit["lost"],
            "findings": audit["findings"][:10],
            "errors": errors,
            "fault_to_restart_s": round(recovered, 2),
            "national": result["national"]["schools"],
        },
    )
    assert audit["lost"] == 0, audit["findings"]
    assert not other, f"clients met failures other than 503: {other}"


def system_district(system):
    """The district admin the cluster fixture created (its password is not kept: make a new admin)."""
    from services.identity.bootstrap import ensure_district_admin
    from services.identity.store import IdentityStore
    from shared.mongo import make_client
    from tests.support.api import login

    settings = system.settings()
    client = make_client(settings)
    password = secrets.token_urlsafe(12)
    ensure_district_admin(IdentityStore(client[settings.database_name("identity")]), "chaos-district", password)
    client.close()
    return login(system.base_url, "", "chaos-district", password)
