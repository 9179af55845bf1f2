"""Run one service: `python -m services.run identity`.

Config comes only from the environment (shared.config). eventlet is patched here, at the edge,
before anything else is imported; SIGTERM stops the container gracefully (running workers finish).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402
from prometheus_client import start_http_server  # noqa: E402

from services.registry import SERVICES, import_error_modules  # noqa: E402
from shared.amqp_costs import unconfirmed_rpc_replies  # noqa: E402
from shared.config import load_settings  # noqa: E402
from shared.logs import configure_logging, log_event  # noqa: E402
from shared.reply_queues import bounded_reply_waits, transient_reply_queues  # noqa: E402


def load_service(name: str) -> type:
    module_name, _, class_name = SERVICES[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        print(" ".join(SERVICES))
        return 0
    if len(argv) != 1 or argv[0] not in SERVICES:
        print(f"usage: python -m services.run {{{'|'.join(SERVICES)}}}", file=sys.stderr)
        return 2
    configure_logging()
    import_error_modules()  # errors raised by a called service arrive as their own 4xx classes, not a 500
    settings = load_settings()
    settings.require_secrets()
    unconfirmed_rpc_replies()
    transient_reply_queues()  # a broker node's death does not stop the service (shared/reply_queues.py)
    bounded_reply_waits()
    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(load_service(argv[0]))

    def _stop(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    metrics_port = int(os.environ.get("LICHENG_METRICS_PORT", "0"))
    if metrics_port:
        start_http_server(metrics_port, addr=os.environ.get("LICHENG_METRICS_ADDR", "127.0.0.1"))
    runner.start()
    log_event(logging.getLogger("licheng.run"), "service started", service=argv[0])
    runner.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
