"""The system under test: every service and the gateway as real processes, on the real servers.

Isolation: a RabbitMQ vhost, a database prefix and a bucket prefix unique to this test session, so
a running `make up` system (or another test run) is never touched.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from services.registry import SERVICES
from shared.amqp import broker_uris
from shared.config import Settings
from shared.mongo import make_client
from tests.support.s3 import remove_buckets

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # still coming up
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout}s (last error: {last!r})")


def _mgmt_url() -> str:
    return os.environ.get("LICHENG_RABBIT_MGMT_URL", "http://127.0.0.1:15672")


def _amqp_with_vhost(base: str, vhost: str) -> str:
    """The same broker address(es) with the test's vhost (a cluster lists several, ';'-separated)."""
    with_vhost = []
    for uri in broker_uris(base):
        parts = urllib.parse.urlsplit(uri)
        with_vhost.append(urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + urllib.parse.quote(vhost, safe=""), "", "")))
    return ";".join(with_vhost)


def mirror_classic_queues(mgmt_url: str, vhost: str) -> None:
    """On a RabbitMQ cluster, mirror Nameko's classic queues on every node (quorum queues replicate
    by themselves), so a service's RPC and event queues outlive the node they were declared on."""
    auth = ("guest", "guest")
    if len(requests.get(f"{mgmt_url}/api/nodes", auth=auth, timeout=10).json()) < 2:
        return
    quoted = urllib.parse.quote(vhost, safe="")
    requests.put(
        f"{mgmt_url}/api/policies/{quoted}/licheng-mirror",
        auth=auth,
        timeout=10,
        json={"pattern": "^(rpc-|evt-)", "apply-to": "queues", "definition": {"ha-mode": "all", "ha-sync-mode": "automatic"}},
    ).raise_for_status()


@dataclass
class TestSystem:
    __test__ = False  # a fixture's engine, not a test class
    run_id: str = field(default_factory=lambda: "t" + secrets.token_hex(4))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    spawned: dict[str, tuple[list[str], dict[str, str] | None]] = field(default_factory=dict)  # name -> how it was started
    env: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    log_dir: Path = field(default_factory=lambda: ROOT / "var" / "test-logs")

    @property
    def vhost(self) -> str:
        return f"licheng-{self.run_id}"

    def settings(self) -> Settings:
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            return Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def prepare(self) -> None:
        base = Settings()
        self.national_port = free_port()
        self.oidc_port = free_port()
        self.smtp_port = free_port()
        self.gateway_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.gateway_port}"
        self.maildir = self.log_dir / f"{self.run_id}-maildir"
        self.oidc_secret = secrets.token_urlsafe(24)
        auth = ("guest", "guest")
        quoted = urllib.parse.quote(self.vhost, safe="")
        requests.put(f"{_mgmt_url()}/api/vhosts/{quoted}", auth=auth, timeout=10).raise_for_status()
        requests.put(
            f"{_mgmt_url()}/api/permissions/{quoted}/guest", auth=auth, timeout=10, json={"configure": ".*", "write": ".*", "read": ".*"}
        ).raise_for_status()
        mirror_classic_queues(_mgmt_url(), self.vhost)
        self.env = {
            **os.environ,
            "LICHENG_AMQP_URI": _amqp_with_vhost(base.amqp_uri, self.vhost),
            "LICHENG_DB_PREFIX": self.run_id,
            "LICHENG_BUCKET_PREFIX": self.run_id,
            "LICHENG_JWT_SECRET": secrets.token_urlsafe(48),
            "LICHENG_FIELD_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "LICHENG_LOGIN_MAX_FAILURES": "3",
            # Session fixtures hold their tokens for the whole run; refresh and renewal are tested explicitly.
            "LICHENG_ACCESS_TTL_SECONDS": "7200",
            "LICHENG_JWT_TTL_SECONDS": "14400",
            "LICHENG_SESSION_IDLE_SECONDS": "7200",
            # As behind one reverse proxy: tests name the client's address in X-Forwarded-For.
            "LICHENG_TRUSTED_PROXIES": "1",
            # Every test's failed logins come from 127.0.0.1; the address throttle test uses addresses of its own.
            "LICHENG_LOGIN_ADDRESS_MAX_FAILURES": "40",
            # the national simulator of this run listens here once a test asks for it (tests/conftest.py)
            "LICHENG_NATIONAL_URL": f"http://127.0.0.1:{self.national_port}",
            # the district's OpenID provider: a real one (deploy/native/oidc-provider), started below
            "LICHENG_SSO_PROVIDERS": "tpe",
            "LICHENG_SSO_TPE_NAME": "臺北市校園單一身分驗證",
            "LICHENG_SSO_TPE_ISSUER": f"http://127.0.0.1:{self.oidc_port}/",
            "LICHENG_SSO_TPE_CLIENT_ID": "licheng",
            "LICHENG_SSO_TPE_CLIENT_SECRET": self.oidc_secret,
            # the SMTP relay: a real one (aiosmtpd, tests/support/smtp_server.py) delivering to self.maildir
            "LICHENG_SMTP_HOST": "127.0.0.1",
            "LICHENG_SMTP_PORT": str(self.smtp_port),
            "LICHENG_MAIL_FROM": "歷程 測試 <noreply@licheng.test>",
            "LICHENG_MAIL_PER_MINUTE": "6000",
            "LICHENG_MAIL_RETRY_DELAYS": "1,2",
            "LICHENG_MAIL_MAX_ATTEMPTS": "3",
            "LICHENG_REMINDER_HOUR": "-1",  # tests plan days themselves
            "LICHENG_PUBLIC_URL": self.base_url,  # the links in mails
            "PYTHONPATH": str(ROOT),
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = open(self.log_dir / f"{self.run_id}-{name}.log", "ab")  # a restarted process keeps the earlier log
        self.processes[name] = subprocess.Popen(
            args, cwd=ROOT, env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.spawned[name] = (args, extra_env)

    @contextmanager
    def paused(self, name: str) -> Iterator[None]:
        """`name` stopped (gracefully) while the block runs and started again as it was after it, if it ran."""
        running = name in self.processes and self.processes[name].poll() is None
        if running:
            self.stop_process(name)
        try:
            yield
        finally:
            if running:
                self._spawn(name, *self.spawned[name])

    def start(self) -> None:
        self.prepare()
        for name in SERVICES:
            self.start_service(name)
        port = self.gateway_port
        self.start_oidc_provider()
        self.start_smtp_server()
        metrics_dir = ROOT / "var" / "test-metrics" / self.run_id
        self._spawn(
            "gateway",
            [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
            {"LICHENG_GATEWAY_BIND": f"127.0.0.1:{port}", "LICHENG_GATEWAY_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        )
        try:
            wait_until(lambda: requests.get(self.base_url + "/readyz", timeout=5).status_code == 200, 90, "the system")
        except TimeoutError:
            self.dump_logs()
            raise

    def start_oidc_provider(self) -> None:
        """The district's OpenID provider for this run, with static test users (tests/support/oidc_users.json);
        a second client, "other-app", is another site's: its codes and tokens are not for us."""
        binary = ROOT / "var" / "bin" / "oidc-provider"
        if not binary.exists():  # built by `make test` (deploy/native/build-servers.sh oidc); the SSO tests say so
            return
        clients = [
            {"id": "licheng", "secret": self.oidc_secret, "redirect_uris": [f"{self.base_url}/login/sso/tpe/callback"]},
            {"id": "other-app", "secret": "other-secret", "redirect_uris": [f"{self.base_url}/other-app/callback"]},
        ]
        self._spawn(
            "oidc-provider",
            [str(binary)],
            {
                "OIDC_ADDR": f"127.0.0.1:{self.oidc_port}",
                "OIDC_USERS_FILE": str(ROOT / "tests" / "support" / "oidc_users.json"),
                "OIDC_CLIENTS": json.dumps(clients),
            },
        )

    def start_smtp_server(self) -> None:
        self._spawn(
            "smtp", [sys.executable, "-m", "tests.support.smtp_server", "--port", str(self.smtp_port), "--maildir", str(self.maildir)]
        )

    def start_mail_worker(self, name: str = "mail-worker", extra_env: dict[str, str] | None = None) -> None:
        """One mail worker process (`stop_process(name)` ends it gracefully)."""
        self._spawn(name, [sys.executable, "-m", "services.reminders.worker"], extra_env)

    def start_service(self, name: str) -> None:
        self._spawn(name, [sys.executable, "-m", "services.run", name])

    def start_upload_worker(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        """One national-upload worker process (`stop_process(name)` ends it gracefully)."""
        self._spawn(name, [sys.executable, "-m", "services.national_upload.worker"], extra_env)

    def stop_process(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.processes.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def dump_logs(self) -> None:
        for name in self.processes:
            path = self.log_dir / f"{self.run_id}-{name}.log"
            if path.exists():
                tail = path.read_text(errors="replace")[-3000:]
                print(f"--- {name} log tail ---\n{tail}", file=sys.stderr)

    def stop(self) -> None:
        # every process told at once (each service takes seconds to drain its workers), then awaited
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name in list(self.processes):
            self.stop_process(name)
        settings = self.settings()
        client = make_client(settings)
        try:
            for db in client.list_database_names():
                if db.startswith(self.run_id + "_"):
                    client.drop_database(db)
        finally:
            client.close()
        remove_buckets(settings, self.run_id + "-")
        shutil.rmtree(self.maildir, ignore_errors=True)
        quoted = urllib.parse.quote(self.vhost, safe="")
        requests.delete(f"{_mgmt_url()}/api/vhosts/{quoted}", auth=("guest", "guest"), timeout=10)
