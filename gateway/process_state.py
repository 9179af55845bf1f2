"""The native supervisor's view of our processes (deploy/native/supervise.py), for the deadline console.

`LICHENG_SUPERVISOR_STATE` names the state file the supervisor rewrites every second; without it
(tests, containers, where the orchestrator restarts processes) there is nothing to show.
"""

from __future__ import annotations

import json
import os


def supervised_processes() -> dict[str, dict] | None:
    """{name: {up, restarts, last_exit, last_restart}}, or None when no supervisor state is readable."""
    path = os.environ.get("LICHENG_SUPERVISOR_STATE", "")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            programs = json.load(handle).get("programs", {})
    except (OSError, ValueError):
        return None
    keep = ("up", "restarts", "last_exit", "last_restart")
    return {name: {k: state.get(k) for k in keep} for name, state in programs.items()}
