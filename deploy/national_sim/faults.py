"""Misbehaviour on demand, shared by every worker through the store.

Config (POST /admin/faults, or LICHENG_NATIONAL_FAULTS at start):
    {"latency_ms": 50,
     "rules": [{"mode": "rate_limit", "rate": 0.3, "retry_after": 2},
               {"mode": "error", "count": 2, "status": 503, "paths": ["/api/v1/rosters"]}]}
A rule fires for the next `count` matching requests (then stays inert), or with probability `rate`
(0..1), or both (random, at most `count` times). The first rule that fires wins; `latency_ms` and
`latency` rules add delay on top. Rules only touch /api/ paths (never /healthz or /admin).

Modes:
  latency     sleep `ms` before handling
  rate_limit  429 with Retry-After: `retry_after` (seconds), nothing processed
  error       `status` (default 503) problem reply, nothing processed
  drop        close the connection without a reply; `when`: "before" (nothing processed) or
              "after" (processed and recorded, the reply is lost) - default "after"
  slow_body   normal reply, its body sent in `chunks` pieces `chunk_ms` apart
  duplicate   processed and recorded, then 504 as if it failed: the client delivers it again
"""

from __future__ import annotations

import random
from dataclasses import dataclass

MODES = {"latency", "rate_limit", "error", "drop", "slow_body", "duplicate"}


class BadFaults(ValueError):
    pass


def check_config(config: dict) -> dict:
    if not isinstance(config, dict):
        raise BadFaults("the fault config must be an object")
    latency = config.get("latency_ms", 0)
    if not isinstance(latency, int | float) or latency < 0 or latency > 60_000:
        raise BadFaults("latency_ms must be 0..60000")
    rules = config.get("rules", [])
    if not isinstance(rules, list):
        raise BadFaults("rules must be a list")
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("mode") not in MODES:
            raise BadFaults(f"each rule needs a mode among {sorted(MODES)}")
        if "count" not in rule and "rate" not in rule:
            raise BadFaults("each rule needs a count (next N requests) or a rate (0..1)")
        if "rate" in rule and not (isinstance(rule["rate"], int | float) and 0 <= rule["rate"] <= 1):
            raise BadFaults("rate must be between 0 and 1")
        if "count" in rule and not (isinstance(rule["count"], int) and rule["count"] >= 0):
            raise BadFaults("count must be a whole number >= 0")
        if rule["mode"] == "error" and not 500 <= int(rule.get("status", 503)) <= 599:
            raise BadFaults("error status must be 5xx")
        if rule["mode"] == "drop" and rule.get("when", "after") not in {"before", "after"}:
            raise BadFaults("drop: when is before or after")
    return {"latency_ms": latency, "rules": rules}


@dataclass
class Decision:
    latency_ms: float = 0
    rule: dict | None = None

    @property
    def mode(self) -> str | None:
        return self.rule["mode"] if self.rule else None


def _matches(rule: dict, path: str, method: str) -> bool:
    paths = rule.get("paths") or ["/api/"]
    methods = rule.get("methods")
    return any(path.startswith(p) for p in paths) and (not methods or method in methods)


def decide(store, path: str, method: str) -> Decision:
    """What to do to this request. Counted rules are decremented atomically across workers."""
    config = store.faults()
    decision = Decision(latency_ms=float(config.get("latency_ms", 0) or 0))
    rules = config.get("rules") or []
    if not rules:
        return decision
    if any("count" in r for r in rules):
        with store.faults_for_update() as fresh:
            _pick(fresh.get("rules") or [], path, method, decision)
    else:
        _pick(rules, path, method, decision)
    return decision


def _pick(rules: list[dict], path: str, method: str, decision: Decision) -> None:
    for rule in rules:
        if not _matches(rule, path, method):
            continue
        if "count" in rule and rule["count"] <= 0:
            continue
        if "rate" in rule and random.random() >= rule["rate"]:
            continue
        if "count" in rule:
            rule["count"] -= 1
        if rule["mode"] == "latency":
            decision.latency_ms += float(rule.get("ms", 50))
            continue
        decision.rule = dict(rule)
        return
