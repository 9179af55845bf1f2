"""The deadline rush and the national upload at once, on the replicated topology, while a part fails.

Students upload, submit and select; teachers certify in bulk; the registrars' national uploads run
through the upload worker. Mid-run one part is killed and brought back (FAULTS): a RabbitMQ node, a
SeaweedFS volume server (down for the rest of the rush), FerretDB, PostgreSQL, the upload worker in
the middle of its batch, every Nameko service of services/registry.py SIGKILLed at a random moment
and restarted as the supervisor would, the national simulator down for a minute (10 s in the fast
run). The rush's own audit (tests/load/audit.py, as `make rush` runs it) then checks that every
acknowledged upload (with its SHA-256), outcome, certification and selection is stored and every
national item accepted exactly once; the clients may have met 503s (a journey that met one stops
there, as a student would try again later), never another failure, and never waited past their
timeout. A probe (tests/chaos/probe.py) measures the recovery: from the kill until every service
answered and an upload went through again, and for the national faults until the national side
accepted again. Each fault writes var/chaos/rush-<fault>.json.

`make test` runs FAST (one broker node, one service, the upload worker: about a minute on
two cores); `make chaos` (LICHENG_CHAOS_FULL=1) runs every fault. LICHENG_CHAOS_SEED repeats the
random moments of a run (its seed is in every report).
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from services.registry import SERVICES
from tests.chaos import cluster
from tests.chaos.probe import NationalWatch, Probe, national_held
from tests.chaos.test_cluster_faults import RECOVERY_LIMIT_S, report
from tests.load.rush import PASSWORD, Rush, RushConfig, Target, setup_school
from tests.national.simulator import SimClient, SimProcess
from tests.support.api import login

FULL = os.environ.get("LICHENG_CHAOS_FULL") == "1"
SEED = int(os.environ.get("LICHENG_CHAOS_SEED") or secrets.randbelow(1_000_000))
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
    national_timeout_s=240,
)
# Each national send takes this long, so that the upload is still under way when a part fails.
NATIONAL_LATENCY_MS = 700
# A client's longest wait for one answer (tests/support/api.Client's timeout): never reached.
CLIENT_TIMEOUT_S = 30


@dataclass(frozen=True)
class Fault:
    kill: Callable[[dict], object]
    restart: Callable[[dict], object]
    down_s: float | None = 3.0  # seconds between the kill and the restart (None: restarted after the rush)
    strike: str = "rush"  # "rush": once students are under way; "national": once the national side accepts
    random_moment: bool = False  # strike a random 0..RANDOM_WINDOW_S later


RANDOM_WINDOW_S = 8.0


def _service(name: str) -> Fault:
    return Fault(
        kill=lambda env: env["system"].stop_process(name, signal.SIGKILL),
        restart=lambda env: env["system"].start_service(name),
        down_s=1.0,  # the native supervisor restarts a dead program within a second
        random_moment=True,
    )


def _part(part: str, **kwargs) -> Fault:
    return Fault(kill=lambda env: cluster.run("kill", part), restart=lambda env: cluster.run("start", part), **kwargs)


FAULTS: dict[str, Fault] = {
    # down longer than the clients' patience, so that only a failover to the other nodes brings them back
    "rabbitmq-node": _part("rabbit1", down_s=20.0, strike="national"),
    "seaweedfs-volume": _part("volume1", down_s=None),
    "ferretdb": _part("ferretdb"),
    "postgresql": _part("postgres"),
    "upload-worker": Fault(
        kill=lambda env: env["system"].stop_process("chaos-uploader", signal.SIGKILL),
        restart=lambda env: env["start_worker"](),
        strike="national",
    ),
    **{f"{name}-service": _service(name) for name in SERVICES},
    "national-simulator": Fault(
        kill=lambda env: env["sim"].stop(), restart=lambda env: env["start_sim"](), down_s=60.0 if FULL else 10.0, strike="national"
    ),
}
FAST = {"rabbitmq-node", "certification-service", "upload-worker"}


@pytest.fixture(scope="module")
def rush_env(on_cluster, tmp_path_factory):
    system, _ = on_cluster
    sim = SimProcess(tmp_path_factory.mktemp("chaos-sim") / "data").start()
    sim_client = SimClient(sim)

    def start_worker() -> None:
        system.start_upload_worker("chaos-uploader", {"LICHENG_NATIONAL_URL": sim.url, "LICHENG_UPLOAD_PREFETCH": "2"})

    def start_sim() -> None:
        sim.start()  # the same port and data; its faults are kept in its store
        sim_client.faults({"latency_ms": NATIONAL_LATENCY_MS})

    sim_client.faults({"latency_ms": NATIONAL_LATENCY_MS})
    start_worker()
    env = {
        "system": system,
        "district": system_district(system),
        "sim": sim,
        "sim_client": sim_client,
        "start_worker": start_worker,
        "start_sim": start_sim,
    }
    try:
        yield env
    finally:
        system.stop_process("chaos-uploader")
        sim.stop()


def _wait(condition: Callable[[], bool], runner: threading.Thread, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while not condition() and time.monotonic() < deadline and runner.is_alive():
        time.sleep(0.3)


@pytest.mark.timeout(900)  # the simulator's minute down, then the upload's retry delays
@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_rush_and_the_national_upload_lose_nothing_when_a_part_fails(fault, rush_env, on_cluster):
    if fault not in FAST and not FULL:
        pytest.skip("make chaos runs this fault (LICHENG_CHAOS_FULL=1)")
    spec = FAULTS[fault]
    system, _ = on_cluster
    rng = random.Random(f"{SEED}-{fault}")
    district = rush_env["district"]
    sim = rush_env["sim_client"]
    target = Target(system.base_url, district, sim, system.settings())
    tag = secrets.token_hex(2).upper()[:3]
    with ThreadPoolExecutor(SMALL.schools) as pool:
        schools = list(pool.map(lambda n: setup_school(target, n, SMALL.students // SMALL.schools, tag), range(SMALL.schools)))
    codes = [s.code for s in schools]
    probe = Probe(probe_student(system, schools[0]))
    rush = Rush(target, SMALL, schools)
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(rush.run()), daemon=True)
    started = time.monotonic()
    runner.start()
    probe.start()

    # strike once the students are under way (a selection means uploads, outcomes and certification
    # ran), or once the national side has accepted part of the upload (mid-batch)
    if spec.strike == "national":
        _wait(lambda: national_held(sim, codes) > 0, runner, 180)
    else:
        _wait(lambda: rush.selected_count >= 2, runner, 120)
    delay = rng.uniform(0, RANDOM_WINDOW_S) if spec.random_moment else 0.0
    time.sleep(delay)
    watch = NationalWatch(sim, codes)
    held_at_kill = national_held(sim, codes)
    killed_at = time.monotonic()
    spec.kill(rush_env)
    if spec.down_s is None:
        runner.join(timeout=SMALL.max_seconds)
    else:
        time.sleep(spec.down_s)
    spec.restart(rush_env)
    restarted_at = time.monotonic()
    probe.restarted_at = restarted_at
    watch.restarted()
    accepted_while_down = watch.baseline - held_at_kill
    probe.join(timeout=RECOVERY_LIMIT_S)
    probe.stop.set()
    runner.join(timeout=SMALL.max_seconds + SMALL.national_timeout_s + 120)
    assert not runner.is_alive(), "the rush did not end"
    watch.stop.set()
    probe_lost = probe.lost_uploads()

    audit = result["audit"]
    errors = result["errors"]
    # a 503 from the gateway is problem+json with a code; the object store's own 503 (store_post) is its own
    other = {key: n for key, n in errors.items() if not re.search(r": HTTP 503 \w+$", key) and key != "store_post: HTTP 503"}
    # the registrar's national start is one step of several tries (tests/load/national.py), not one answer
    answers = [(max(v), step) for step, v in rush.rec.samples.items() if v and step != "national_start"]
    slowest, slowest_step = max(answers, default=(0.0, ""))
    slowest = round(slowest, 2)
    checked = audit["checked"]
    national = result["national"]["schools"]
    accepted = sum(s.get("counts", {}).get("accepted", 0) for s in national.values())
    recovery = probe.recovery_after(killed_at)
    resumed = round(watch.resumed_at - killed_at, 2) if watch.resumed_at else None
    report(
        f"rush-{fault}",
        {
            "fault": fault,
            "seed": SEED,
            "struck_after_s": round(killed_at - started, 2),
            "random_delay_s": round(delay, 2),
            "down_s": round(restarted_at - killed_at, 2),
            "acknowledged": {
                "uploads": checked["uploads"] + len(probe.acks),
                "outcomes": checked["outcomes"],
                "certified": checked["certified"],
                "selected": len(rush.ledger.selected),
                "national_items_accepted": accepted,
            },
            "lost": audit["lost"] + len(probe_lost),
            "stored": "every acknowledged request" if not audit["lost"] and not probe_lost else "see findings",
            "national_accepted_more_than_once": audit["national_accepted_more_than_once"],
            "recovery_s": recovery,
            "national_resumed_s": resumed,
            "national_accepted_while_down": accepted_while_down,
            "probe_failures": probe.failures(),
            "probe_slowest_s": probe.slowest(),
            "students": SMALL.students,
            "finished": result["students_finished"],
            "errors": errors,
            "slowest_answer_s": slowest,
            "slowest_step": slowest_step,
            "findings": audit["findings"][:10] + [{"what": "probe upload", "id": i} for i in probe_lost],
            "national": {code: {k: s.get(k) for k in ("counts", "done", "state")} for code, s in national.items()},
        },
    )
    assert audit["lost"] == 0, audit["findings"]
    assert not probe_lost, f"the probe's acknowledged uploads not stored: {probe_lost}"
    assert audit["national_accepted_more_than_once"] == 0
    assert not other, f"clients met failures other than 503: {other}"
    assert slowest < CLIENT_TIMEOUT_S, f"an answer took {slowest} s"
    assert recovery is not None, f"the system did not answer normally within {RECOVERY_LIMIT_S} s of the restart: {probe.failures()}"
    assert all(s.get("done") for s in national.values()), f"a national upload did not finish: {national}"
    assert not any(s.get("counts", {}).get("dead") for s in national.values()), f"national items dead-lettered: {national}"
    # the rush's data is valid: a rejection here would be the fault's doing
    assert not any(s.get("counts", {}).get("rejected") for s in national.values()), f"national items rejected: {national}"


def probe_student(system, school) -> object:
    """A student of the first school whose uploads are the probe's (not part of the rush)."""
    body = {"username": "probe", "display_name": "探測", "roles": ["student"], "password": PASSWORD, "student_id": "P-1"}
    created = school.registrar.post("/api/v1/accounts", json=body)
    assert created.status_code == 201, created.text
    return login(system.base_url, school.code, "probe", PASSWORD)


def system_district(system):
    """The district admin the cluster fixture created (its password is not kept: make a new admin)."""
    from services.identity.bootstrap import ensure_district_admin
    from services.identity.store import IdentityStore
    from shared.mongo import make_client

    settings = system.settings()
    client = make_client(settings)
    password = secrets.token_urlsafe(12)
    ensure_district_admin(IdentityStore(client[settings.database_name("identity")]), "chaos-district", password)
    client.close()
    return login(system.base_url, "", "chaos-district", password)
