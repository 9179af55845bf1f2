"""The SMTP relay of a test run: aiosmtpd (a real SMTP server) delivering into a Maildir the tests read.

`python -m tests.support.smtp_server --port P --maildir DIR` (tests/support/system.py starts one per run).
Like a site's MTA with a user table, it refuses unknown users at RCPT with a permanent 550, which is
how an address that bounces looks to our workers: any local part starting with "nobody".
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class Relay(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        if address.lower().startswith("nobody"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()
    controller = Controller(Relay(args.maildir), hostname="127.0.0.1", port=args.port)
    controller.start()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
