"""The native supervisor restarts a program that dies, logs it and records it in its state file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.process_state import supervised_processes
from tests.support.system import ROOT, wait_until

pytestmark = pytest.mark.unit  # real processes, but no server

SUPERVISE = ROOT / "deploy" / "native" / "supervise.py"


def _state(run_dir: Path) -> dict:
    return json.loads((run_dir / "supervisor.json").read_text())


def test_a_killed_program_is_restarted_within_seconds_and_logged(tmp_path, monkeypatch):
    run_dir, log_dir = tmp_path / "run", tmp_path / "log"
    sleeper = f"{sys.executable} -c 'import time; time.sleep(600)'"
    supervisor = subprocess.Popen(
        [sys.executable, str(SUPERVISE), "--run-dir", str(run_dir), "--log-dir", str(log_dir), "--program", f"sleeper={sleeper}"],
        start_new_session=True,
    )
    try:
        first = wait_until(lambda: _state(run_dir)["programs"]["sleeper"]["pid"], 20, "the supervised program")
        assert int((run_dir / "sleeper.pid").read_text()) == first
        os.kill(first, signal.SIGKILL)
        killed = time.monotonic()
        second = wait_until(
            lambda: (p := _state(run_dir)["programs"]["sleeper"])["restarts"] == 1 and p["up"] and p["pid"], 20, "the restart"
        )
        restart_seconds = time.monotonic() - killed
        assert second != first
        assert int((run_dir / "sleeper.pid").read_text()) == second
        os.kill(second, 0)  # it runs
        log = (log_dir / "supervisor.log").read_text()
        assert "sleeper died (signal 9)" in log and "sleeper restarted" in log
        assert _state(run_dir)["programs"]["sleeper"]["last_exit"] == "signal 9"
        monkeypatch.setenv("LICHENG_SUPERVISOR_STATE", str(run_dir / "supervisor.json"))
        shown = supervised_processes()  # what the deadline console shows the district admin
        assert shown["sleeper"]["restarts"] == 1 and shown["sleeper"]["up"] and "pid" not in shown["sleeper"]
        print(f"restarted {restart_seconds:.1f} s after SIGKILL")
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
    assert supervisor.returncode == 0
    assert not (run_dir / "sleeper.pid").exists()
    assert not _state(run_dir)["programs"]["sleeper"]["up"]
