"""A small process supervisor for the native path: keeps every program running, restarts the dead.

    python deploy/native/supervise.py --run-dir var/run --log-dir var/log \
        --program identity='python -m services.run identity' --program gateway='python -m gunicorn ...'

Each program's output goes to <log-dir>/<name>.log and its pid to <run-dir>/<name>.pid (so
`app.sh status` keeps working). A program that exits is started again after RESTART_DELAY seconds,
with a growing delay (up to MAX_DELAY) while it keeps dying soon after start, and each restart is one
line in <log-dir>/supervisor.log. <run-dir>/supervisor.json holds every program's state (pid, up
since, restarts, last exit), which the deadline console shows. SIGTERM/SIGINT stop the programs
(SIGTERM, then SIGKILL after STOP_GRACE seconds) and then the supervisor.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RESTART_DELAY = 0.5
MAX_DELAY = 10.0
STABLE_AFTER = 30.0  # seconds up after which a program's next death counts as the first again
STOP_GRACE = 20.0
POLL = 0.2


@dataclass
class Program:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    restarts: int = 0
    quick_deaths: int = 0
    restart_at: float | None = None
    last_exit: str = ""
    last_restart: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Supervisor:
    def __init__(self, programs: list[Program], run_dir: Path, log_dir: Path) -> None:
        self.programs = programs
        self.run_dir = run_dir
        self.log_dir = log_dir
        self.stopping = False
        self.log_file = open(log_dir / "supervisor.log", "a", buffering=1, encoding="utf-8")

    def log(self, message: str) -> None:
        line = f"{_now()} supervisor: {message}"
        self.log_file.write(line + "\n")
        if sys.stderr.isatty():  # in the foreground; under app.sh, stderr is this very log file
            print(line, file=sys.stderr, flush=True)

    def start(self, program: Program) -> None:
        out = open(self.log_dir / f"{program.name}.log", "ab")
        program.process = subprocess.Popen(program.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        program.started = time.monotonic()
        program.restart_at = None
        (self.run_dir / f"{program.name}.pid").write_text(str(program.process.pid))

    def check(self, program: Program) -> None:
        now = time.monotonic()
        if program.process is not None:
            code = program.process.poll()
            if code is None:
                return
            lived = now - program.started
            try:  # its children (gunicorn's workers) would hold its port and queues: they go with it
                os.killpg(program.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            program.last_exit = f"signal {-code}" if code < 0 else f"exit {code}"
            program.process = None
            program.quick_deaths = program.quick_deaths + 1 if lived < STABLE_AFTER else 0
            delay = min(MAX_DELAY, RESTART_DELAY * (2 ** max(0, program.quick_deaths - 1)))
            program.restart_at = now + delay
            self.log(f"{program.name} died ({program.last_exit}) after {lived:.1f} s; restarting in {delay:.1f} s")
        if program.restart_at is not None and now >= program.restart_at:
            self.start(program)
            program.restarts += 1
            program.last_restart = _now()
            self.log(f"{program.name} restarted (pid {program.process.pid}, restart #{program.restarts})")

    def write_state(self) -> None:
        state = {
            "supervisor_pid": os.getpid(),
            "updated_at": _now(),
            "programs": {
                p.name: {
                    "up": p.process is not None,
                    "pid": p.process.pid if p.process else None,
                    "restarts": p.restarts,
                    "last_exit": p.last_exit,
                    "last_restart": p.last_restart,
                }
                for p in self.programs
            },
        }
        tmp = self.run_dir / "supervisor.json.tmp"
        tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1))
        tmp.replace(self.run_dir / "supervisor.json")

    def run(self) -> int:
        for program in self.programs:
            self.start(program)
        self.log("started " + ", ".join(f"{p.name} (pid {p.process.pid})" for p in self.programs if p.process))
        written = 0.0
        while not self.stopping:
            for program in self.programs:
                self.check(program)
            if time.monotonic() - written >= 1.0:
                self.write_state()
                written = time.monotonic()
            time.sleep(POLL)
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        running = [p for p in self.programs if p.process is not None]
        for program in reversed(running):  # the gateway (last started) first, the services last
            try:
                program.process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_GRACE
        for program in running:
            try:
                program.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                program.process.kill()
                program.process.wait()
            (self.run_dir / f"{program.name}.pid").unlink(missing_ok=True)
            program.process = None
        self.write_state()
        self.log("stopped every program")


def parse_program(text: str) -> Program:
    name, sep, command = text.partition("=")
    if not sep or not name or not command.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=COMMAND, got {text!r}")
    return Program(name, shlex.split(command))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--log-dir", type=Path, required=True)
    parser.add_argument("--program", type=parse_program, action="append", required=True)
    args = parser.parse_args(argv)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(args.program, args.run_dir, args.log_dir)

    def _stop(signum, frame):
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    (args.run_dir / "supervisor.pid").write_text(str(os.getpid()))
    try:
        return supervisor.run()
    finally:
        (args.run_dir / "supervisor.pid").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
