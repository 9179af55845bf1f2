"""The replicated topology of deploy/native/cluster.sh, for the fault suite: start it, point a test
system at it, kill and restart its parts by name."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.system import ROOT

SCRIPT = ROOT / "deploy" / "native" / "cluster.sh"


def run(*args: str, timeout: float = 300) -> str:
    done = subprocess.run([str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"cluster.sh {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def environment() -> dict[str, str]:
    """The `export NAME=value` lines of `cluster.sh env` as a dict."""
    env = {}
    for line in run("env").splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    return env


@contextmanager
def pointed_at_cluster() -> Iterator[dict[str, str]]:
    """os.environ as the services would see it on the cluster, restored afterwards."""
    saved = dict(os.environ)
    env = environment()
    os.environ.update(env)
    try:
        yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)
