"""The last day before the deadline, as a workload against a running system, through the gateway only.

Students log in, upload 1-3 evidence files (documents 0.2-4 MB, some 10 MB media) by the presigned
form the gateway hands out, complete them, create and submit an outcome, wait for it to be
certified and select it; each school's teacher certifies in bulk from the queue; when most students
are done, every school's registrar starts the national upload while the rest are still uploading.
It stops by itself (every student runs one journey; a hard time limit bounds everything), then
audits what it was acknowledged against what the system holds (tests/load/audit.py).

`run_rush(target, config)` is the workload; `python -m tests.load` (make rush) wraps it with an
isolated system, the national simulator, upload workers and the same-run baselines.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from deploy.seed_demo import semester_body
from shared.clock import to_taipei, utcnow
from shared.config import Settings
from shared.national_id import with_check_digit
from tests.bench.harness import percentiles
from tests.load import national
from tests.load.audit import Ack, Facts, Ledger, Selected, audit
from tests.support.api import Client, login

MB = 1024 * 1024
PASSWORD = "Rush-pass-" + secrets.token_hex(4)


@dataclass
class RushConfig:
    """Every knob, from flags or RUSH_* environment variables (tests/load/__main__.py)."""

    students: int = 200
    schools: int = 2
    concurrency: int = 200  # students in flight at once
    max_seconds: float = 900.0  # the hard bound: journeys not finished by then are reported as unfinished
    files_min: int = 1
    files_max: int = 3
    doc_mb_min: float = 0.2
    doc_mb_max: float = 4.0
    media_share: float = 0.1  # share of files that are 10 MB media
    media_mb: float = 9.9
    think_s: float = 0.5  # mean pause between a student's steps (uniform 0..2x)
    ramp_s: float = 0.0  # students arrive spread over this many seconds (0: all at once)
    national_after: float = 0.8  # start the national upload when this share of students has selected
    national_timeout_s: float = 300.0
    seed: int = 1

    def file_sizes(self, rng: random.Random) -> list[tuple[str, int]]:
        count = rng.randint(self.files_min, self.files_max)
        sizes = []
        for _ in range(count):
            if rng.random() < self.media_share:
                sizes.append(("media", int(self.media_mb * MB)))
            else:
                sizes.append(("document", int(rng.uniform(self.doc_mb_min, self.doc_mb_max) * MB)))
        return sizes


@dataclass
class Target:
    """The system under load: its gateway, a logged-in district admin, and what the audit reads."""

    base_url: str
    district: Client
    sim: object  # tests.national.simulator.SimClient: tokens for the schools, the national side's state
    settings: Settings | None = None  # only for the national-upload stand-in (tests/load/national.py)


@dataclass
class School:
    code: str
    registrar: Client
    teacher: Client
    course_id: str
    year: int
    term: int
    students: list[tuple[str, str]] = field(default_factory=list)  # (student_id, username)


class StepFailed(Exception):
    pass


class _StaleConnectionRetry(Retry):
    """Retries a dropped connection, never a timeout (a slow answer may still be processed: no duplicates)."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError) or response is not None:
            raise error if error is not None else RuntimeError("unexpected retry of an answered request")
        return super().increment(method, url, response, error, _pool, _stacktrace)


def browser_like(session: requests.Session) -> requests.Session:
    """Retry a request once when a reused keep-alive connection turns out closed before any answer,
    as browsers do (gunicorn closes connections idle for 5 s; a student's gateway connection idles
    while the file goes to the store). Each such retry is counted in the report, never hidden."""
    # respect_retry_after_header off: a 503's Retry-After is for the student, who tries again later
    retry = _StaleConnectionRetry(
        total=1, connect=1, read=1, status=0, other=0, allowed_methods=None, raise_on_status=False, respect_retry_after_header=False
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


class Recorder:
    """Latency and errors per step, thread-safe; throughput over each step's own active window."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.window: dict[str, list[float]] = {}
        self.errors: dict[str, int] = defaultdict(int)
        self.bytes: dict[str, int] = defaultdict(int)
        self.retried: dict[str, int] = defaultdict(int)

    def record(self, step: str, started: float, ended: float, error: str | None = None, size: int = 0) -> None:
        with self.lock:
            self.samples[step].append(ended - started)
            first, last = self.window.get(step, (started, ended))
            self.window[step] = [min(first, started), max(last, ended)]
            if error:
                self.errors[f"{step}: {error}"] += 1
            self.bytes[step] += size

    def call(self, step: str, fn, *ok: int, size: int = 0) -> requests.Response:
        started = time.perf_counter()
        try:
            response = fn()
        except requests.RequestException as exc:
            self.record(step, started, time.perf_counter(), type(exc).__name__)
            raise StepFailed(f"{step}: {type(exc).__name__}") from exc
        ended = time.perf_counter()
        retries = getattr(response.raw, "retries", None)
        if retries is not None and retries.history:
            with self.lock:
                self.retried[step] += 1
        if response.status_code not in (ok or (200,)):
            code = ""
            if response.headers.get("Content-Type", "").startswith("application/problem+json"):
                code = " " + str(response.json().get("code", ""))
            self.record(step, started, ended, f"HTTP {response.status_code}{code}")
            raise StepFailed(f"{step}: HTTP {response.status_code}{code} {response.text[:200]}")
        self.record(step, started, ended, size=size)
        return response

    def report(self) -> dict:
        steps = {}
        for step, samples in self.samples.items():
            first, last = self.window[step]
            errors = sum(n for key, n in self.errors.items() if key.startswith(step + ":"))
            steps[step] = {
                "count": len(samples),
                "errors": errors,
                "per_second": round(len(samples) / max(last - first, 1e-6), 2),
                **percentiles(samples),
            }
            if self.bytes[step]:
                steps[step]["mb_per_s"] = round(self.bytes[step] / MB / max(last - first, 1e-6), 2)
        return {
            "steps": steps,
            "errors": dict(self.errors),
            "error_total": sum(self.errors.values()),
            "connection_retries": dict(self.retried),  # stale keep-alive connections retried once (browser_like)
        }


class Payloads:
    """Unique files of the planned sizes without generating megabytes per file: a random header, a shared body."""

    def __init__(self, largest: int) -> None:
        self.body = os.urandom(largest)

    def make(self, kind: str, size: int) -> tuple[bytes, str, str, str]:
        head = b"\x00\x00\x00\x18ftypmp42" if kind == "media" else b"%PDF-1.4\n%"
        data = head + secrets.token_bytes(32) + self.body[: max(0, size - len(head) - 32)]
        name, content_type = ("rush.mp4", "video/mp4") if kind == "media" else ("rush.pdf", "application/pdf")
        return data, hashlib.sha256(data).hexdigest(), name, content_type


# ---------------------------------------------------------------- setup (through the API, not timed)


def _ok(response: requests.Response, *codes: int) -> requests.Response:
    if response.status_code not in (codes or (200, 201)):
        raise RuntimeError(f"setup: {response.request.method} {response.url}: {response.status_code} {response.text[:300]}")
    return response


def setup_school(target: Target, n: int, students: int, tag: str) -> School:
    base = target.base_url
    code = f"9{tag}{n:02d}"
    _ok(target.district.post("/api/v1/schools", json={"code": code, "name": f"衝刺測試高中{n}"}), 201)
    _ok(
        target.district.post(
            f"/api/v1/schools/{code}/registrars", json={"username": "registrar", "display_name": "註冊組長", "password": PASSWORD}
        ),
        201,
    )
    registrar = login(base, code, "registrar", PASSWORD)
    ids = {}
    for username, roles in (("teacher", ["teacher", "homeroom"]), ("curriculum", ["curriculum"])):
        body = {"username": username, "display_name": username, "roles": roles, "password": PASSWORD}
        ids[username] = _ok(registrar.post("/api/v1/accounts", json=body), 201).json()["account"]["id"]
    semester = semester_body(to_taipei(utcnow()).date())
    year, term = semester["year"], semester["term"]
    _ok(registrar.post("/api/v1/records/semesters", json=semester), 201)
    _ok(
        registrar.post(
            "/api/v1/records/classes", json={"year": year, "code": "301", "name": "301 班", "homeroom_teacher_id": ids["teacher"]}
        )
    )
    curriculum = login(base, code, "curriculum", PASSWORD)
    course_code = f"{year}{code}30100000000001"[:23].ljust(23, "0")
    course = {
        "year": year,
        "term": term,
        "code": course_code,
        "name": "專題實作",
        "credits": 2,
        "class_code": "301",
        "teacher_ids": [ids["teacher"]],
        "elective": False,
    }
    _ok(curriculum.post("/api/v1/records/courses", json=course))
    courses = _ok(curriculum.get("/api/v1/records/courses", params={"per_page": 200})).json()["items"]
    course_id = next(c["id"] for c in courses if c["code"] == course_code)
    teacher = login(base, code, "teacher", PASSWORD)
    browser_like(registrar.session), browser_like(teacher.session)
    school = School(code, registrar, teacher, course_id, year, term)

    def add_student(k: int) -> tuple[str, str]:
        sid, username = f"R{k:05d}", f"rush{k:05d}"
        record = {
            "student_id": sid,
            "national_id": with_check_digit(f"B{1 + k % 2}{n:02d}{k:05d}"),
            "name": f"學生{k}",
            "birth_date": "2008-05-01",
            "gender": str(1 + k % 2),
            "class_code": "301",
            "seat_no": k % 99 + 1,
        }
        _ok(registrar.post("/api/v1/records/students", json=record))
        account = {"username": username, "display_name": f"學生{k}", "roles": ["student"], "password": PASSWORD, "student_id": sid}
        _ok(registrar.post("/api/v1/accounts", json={**account, "class_code": "301"}), 201)
        return sid, username

    with ThreadPoolExecutor(8) as pool:
        school.students = list(pool.map(add_student, range(students)))
    _ok(registrar.put("/api/v1/national/credentials", json={"token": target.sim.token(code)}))
    return school


# ---------------------------------------------------------------- the rush


class Rush:
    def __init__(self, target: Target, config: RushConfig, schools: list[School], on_phase: Callable[[str], None] | None = None) -> None:
        self.target = target
        self.config = config
        self.schools = schools
        # told "journeys" as the first student may arrive, "national" once every journey and the teachers
        # are done, "audit" once the national uploads drained (tests/load/capacity.py meters the CPU between)
        self.on_phase = on_phase or (lambda phase: None)
        self.lags: list[float] = []  # how late each student started against the arrival schedule (a busy load client)
        self.rec = Recorder()
        self.ledger = Ledger()
        self.clients: dict[tuple[str, str], Client] = {}  # (school, student_id) -> logged-in client (the audit reads as them)
        self.selected_count = 0
        self.finished = threading.Event()
        self.national_started = threading.Event()
        self.uploads: list[national.StartedUpload] = []
        self.selected_at_start: dict[str, set[str]] = {}
        self.deadline = time.monotonic() + config.max_seconds
        self.unfinished = 0
        self.bulk_certified = 0  # outcomes sent in bulk-certify calls (a call's latency grows with its size)
        self.payloads = Payloads(int(max(config.media_mb, config.doc_mb_max) * MB) + 64)
        self.lock = threading.Lock()

    def think(self, rng: random.Random) -> None:
        if self.config.think_s > 0:
            time.sleep(rng.uniform(0, 2 * self.config.think_s))

    def journey(self, school: School, student_id: str, username: str, arrives_at: float = 0.0) -> None:
        rng = random.Random(f"{self.config.seed}-{school.code}-{student_id}")
        rec, base = self.rec, self.target.base_url
        time.sleep(max(0.0, arrives_at - time.monotonic()))
        if arrives_at:
            with self.lock:
                self.lags.append(max(0.0, time.monotonic() - arrives_at))
        if time.monotonic() > self.deadline:
            with self.lock:
                self.unfinished += 1
            return
        try:
            logged_in = rec.call(
                "login",
                lambda: requests.post(
                    base + "/api/v1/auth/login", json={"school_code": school.code, "username": username, "password": PASSWORD}, timeout=60
                ),
            ).json()
            token = logged_in["token"]
            if logged_in["account"]["must_change_password"]:  # a first login sets the student's own password
                token = rec.call(
                    "own_password",
                    lambda: requests.put(
                        base + "/api/v1/me/password",
                        headers={"Authorization": f"Bearer {logged_in['token']}"},
                        json={"current_password": PASSWORD, "new_password": PASSWORD},
                        timeout=60,
                    ),
                ).json()["token"]
            client = Client(base, token=token, session=browser_like(requests.Session()))
            self.clients[(school.code, student_id)] = client
            rec.call("read_mine", lambda: client.get("/api/v1/outcomes/mine"))
            evidence_ids = []
            for kind, size in self.config.file_sizes(rng):
                data, sha, name, content_type = self.payloads.make(kind, size)
                body = {
                    "kind": kind,
                    "purpose": "outcome",
                    "filename": name,
                    "size": len(data),
                    "content_type": content_type,
                    "sha256": sha,
                }
                form = rec.call("request_upload", lambda b=body: client.post("/api/v1/evidence/uploads", json=b), 201).json()
                rec.call(
                    "store_post",
                    lambda f=form, d=data, n=name: client.session.post(f["url"], data=f["fields"], files={"file": (n, d)}, timeout=120),
                    200,
                    201,
                    204,
                    size=len(data),
                )
                done = rec.call(
                    "complete", lambda f=form: client.post(f"/api/v1/evidence/uploads/{f['upload_id']}/complete", json={})
                ).json()
                self.ledger.add("acks", Ack(school.code, student_id, done["id"], sha, len(data)))
                evidence_ids.append(done["id"])
                self.think(rng)
            outcome = rec.call(
                "create_outcome",
                lambda: client.post(
                    "/api/v1/outcomes", json={"course_id": school.course_id, "summary": "專題成果報告", "evidence_ids": evidence_ids}
                ),
                201,
            ).json()
            rec.call("submit", lambda: client.post(f"/api/v1/outcomes/{outcome['id']}/submit"))
            self.ledger.add("submitted", (school.code, student_id, outcome["id"]))
            while True:  # the teacher certifies in bulk; the student looks again now and then
                self.think(rng)
                state = rec.call("read_outcome", lambda: client.get(f"/api/v1/outcomes/{outcome['id']}")).json()["state"]
                if state == "certified":
                    break
                if time.monotonic() > self.deadline:
                    raise StepFailed("certify: not certified before the time limit")
                time.sleep(0.5)
            rec.call("select", lambda: client.post(f"/api/v1/outcomes/{outcome['id']}/selection"))
            self.ledger.add("selected", Selected(school.code, student_id, outcome["id"]))
        except StepFailed:
            with self.lock:
                self.unfinished += 1
            return
        with self.lock:
            self.selected_count += 1
            if self.selected_count >= self.config.national_after * self.config.students:
                self.national_started.set()

    def teacher_loop(self, school: School) -> None:
        """Certify whatever waits, in bulk, until the students are done and nothing waits."""
        while True:
            try:
                queue = self.rec.call("teacher_queue", lambda: school.teacher.get("/api/v1/teacher/queue")).json()
                ids = [i["id"] for c in queue["courses"] for i in c["items"]][:1000]
                if ids:
                    done = self.rec.call(
                        "bulk_certify", lambda ids=ids: school.teacher.post("/api/v1/outcomes/bulk-certify", json={"outcome_ids": ids})
                    ).json()
                    for outcome_id in done.get("certified", []):
                        self.ledger.add("certified", (school.code, outcome_id))
                    with self.lock:
                        self.bulk_certified += len(ids)
            except StepFailed:
                pass
            if self.finished.is_set() or time.monotonic() > self.deadline:
                return
            time.sleep(max(self.config.think_s * 2, 0.5))

    def start_national(self) -> None:
        """The registrars start the national upload while the last students are still uploading, as the
        console does: the roster check (a job, polled), then the start from its draft."""
        self.national_started.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        with self.ledger.lock:
            snapshot = list(self.ledger.selected)
        for school in self.schools:
            students = sorted({s.student_id for s in snapshot if s.school == school.code})
            self.selected_at_start[school.code] = set(students)
            try:
                draft = national.check_rosters(school.registrar, school.year, school.term, self.timed)
                upload = national.start_upload(
                    school.registrar, school.code, school.year, school.term, students, self.target.settings, draft, self.timed
                )
            except Exception as exc:  # named in the report, never silently skipped
                self.rec.errors[f"national_start: {type(exc).__name__}: {exc}"[:200]] += 1
                continue
            self.uploads.append(upload)

    def timed(self, step: str, send) -> requests.Response:
        """One of the registrar's requests, timed as a step (a 5xx counted as its error)."""
        started = time.perf_counter()
        response = send()
        self.rec.record(step, started, time.perf_counter(), f"HTTP {response.status_code}" if response.status_code >= 500 else None)
        return response

    def run(self) -> dict:
        self.on_phase("journeys")
        started, load_before = time.perf_counter(), os.getloadavg()
        teachers = [threading.Thread(target=self.teacher_loop, args=(s,), daemon=True) for s in self.schools]
        starter = threading.Thread(target=self.start_national, daemon=True)
        for thread in (*teachers, starter):
            thread.start()
        jobs = [(school, sid, username) for school in self.schools for sid, username in school.students]
        random.Random(self.config.seed).shuffle(jobs)
        now, spacing = time.monotonic(), self.config.ramp_s / max(len(jobs), 1)
        jobs = [(*job, now + n * spacing) for n, job in enumerate(jobs)]
        with ThreadPoolExecutor(self.config.concurrency) as pool:
            list(pool.map(lambda job: self.journey(*job), jobs))
        rush_seconds, load_after = time.perf_counter() - started, os.getloadavg()
        self.national_started.set()  # a tiny run may finish before the threshold: start now
        starter.join()
        self.finished.set()
        for thread in teachers:
            thread.join()
        self.on_phase("national")
        national_report = self.wait_national()
        self.on_phase("audit")
        facts = self.collect_facts()
        return {
            "rush_seconds": round(rush_seconds, 2),
            # the machine's 1/5/15-minute load averages before and after: other work on the same cores shows here
            "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
            "students_finished": self.config.students - self.unfinished,
            "students_unfinished": self.unfinished,
            **self.rec.report(),
            **({"arrival_lag_ms": percentiles(self.lags)} if self.lags else {}),
            "bulk_certify_outcomes": self.bulk_certified,
            "national": national_report,
            "audit": audit(self.ledger, facts),
        }

    def wait_national(self) -> dict:
        started, schools = time.perf_counter(), {}
        limit = time.monotonic() + self.config.national_timeout_s
        by_code = {s.code: s for s in self.schools}
        for upload in self.uploads:
            registrar = by_code[upload.school].registrar
            progress: dict = {}
            while time.monotonic() < limit:
                progress = registrar.get(f"/api/v1/national/uploads/{upload.upload_id}").json()
                if progress.get("done") or progress.get("total") == 0:
                    break
                time.sleep(0.5)
            schools[upload.school] = {"upload_id": upload.upload_id, "mode": upload.mode, **progress}
        return {"schools": schools, "drained_after_rush_s": round(time.perf_counter() - started, 2)}

    def collect_facts(self) -> Facts:
        def read(client: Client, path: str) -> requests.Response:
            # a 503 says "not now", not "not there": after a fault the audit asks again for a while
            deadline = time.monotonic() + 90
            while True:
                response = client.get(path)
                if response.status_code != 503 or time.monotonic() > deadline:
                    return response
                time.sleep(1)

        def stored_sha(ack: Ack) -> tuple[str, str | None]:
            client = self.clients[(ack.school, ack.student_id)]
            link = read(client, f"/api/v1/evidence/{ack.evidence_id}/download")
            if link.status_code != 200:
                return ack.evidence_id, None
            digest = hashlib.sha256()
            with requests.get(link.json()["url"], stream=True, timeout=120) as got:
                if got.status_code != 200:
                    return ack.evidence_id, None
                for chunk in got.iter_content(1024 * 1024):
                    digest.update(chunk)
            return ack.evidence_id, digest.hexdigest()

        def outcome_state(entry: tuple[str, str, str]) -> tuple[str, str | None]:
            school, student, outcome_id = entry
            got = read(self.clients[(school, student)], f"/api/v1/outcomes/{outcome_id}")
            return outcome_id, got.json()["state"] if got.status_code == 200 else None

        def selected_of(key: tuple[str, str]) -> set[str]:
            got = read(self.clients[key], "/api/v1/outcomes/mine")
            return {o["id"] for o in got.json()["items"] if o["selected"]} if got.status_code == 200 else set()

        by_code = {s.code: s for s in self.schools}

        def certified_state(entry: tuple[str, str]) -> tuple[str, str | None]:
            school, outcome_id = entry  # certified although its student never heard the submit answered
            got = read(by_code[school].teacher, f"/api/v1/outcomes/{outcome_id}")
            return outcome_id, got.json()["state"] if got.status_code == 200 else None

        with ThreadPoolExecutor(8) as pool:
            stored = dict(pool.map(stored_sha, self.ledger.acks))
            states = dict(pool.map(outcome_state, self.ledger.submitted))
            states |= dict(pool.map(certified_state, [c for c in self.ledger.certified if c[1] not in states]))
            selectors = sorted({(s.school, s.student_id) for s in self.ledger.selected})
            selected_found = set().union(*pool.map(selected_of, selectors))
        found = {o for o, state in states.items() if state is not None}
        items = {u.school: national.upload_items(by_code[u.school].registrar, u) for u in self.uploads}
        held = {s.code: national.acceptances(self.target.sim.state(s.code)) for s in self.schools}
        # Roster-level items (one workbook for many students) name no student: coverage per student is
        # then the national side's records, which this audit does not read; it checks the items only.
        per_student = {
            school: students
            for school, students in self.selected_at_start.items()
            if any(i.get("student_id") for i in items.get(school, [])) or school not in items
        }
        repeats = {s.code: national.roster_repeats(self.target.sim.state(s.code)) for s in self.schools}
        return Facts(stored, found, items, held, per_student, states, selected_found, repeats)


def run_rush(
    target: Target, config: RushConfig, *, tag: str | None = None, on_phase: Callable[[str], None] | None = None
) -> tuple[dict, Rush]:
    """Set up the schools (not timed), run the rush, audit it; returns the report's body and the run itself.
    `tag` (three characters) names the run's schools (9<tag>00, 9<tag>01, ...); random when not given."""
    tag = tag or secrets.token_hex(2).upper()[:3]
    per_school = [config.students // config.schools + (1 if i < config.students % config.schools else 0) for i in range(config.schools)]
    started = time.perf_counter()
    with ThreadPoolExecutor(config.schools) as pool:
        schools = list(pool.map(lambda args: setup_school(target, *args, tag), [(i, n) for i, n in enumerate(per_school)]))
    setup_seconds = time.perf_counter() - started
    rush = Rush(target, config, schools, on_phase)
    result = rush.run()
    return {"config": asdict(config), "schools": [s.code for s in schools], "setup_seconds": round(setup_seconds, 2), **result}, rush
