"""Reading what the test run's SMTP relay received, and driving the reminders service as its daily run does."""

from __future__ import annotations

import mailbox
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from nameko.standalone.rpc import ClusterRpcProxy

from shared.caller import Caller
from shared.roles import Role
from tests.support.system import wait_until

OPEN = ("queued", "sending", "retrying")


def arrived(system) -> list[EmailMessage]:
    """Every message in the relay's Maildir, parsed."""
    box = mailbox.Maildir(system.maildir, factory=None, create=True)
    return [BytesParser(policy=policy.default).parsebytes(box.get_bytes(key)) for key in box.keys()]  # type: ignore[misc]


def arrived_for(system, address: str) -> list[EmailMessage]:
    return [m for m in arrived(system) if address in str(m["To"])]


def plan_day(system, school: str, day: date) -> dict:
    """The daily plan of `school` for `day`, as the service's own timer runs it (the system's call)."""
    with ClusterRpcProxy(system.settings().nameko_config(), context_data=Caller.system().to_context(), timeout=60) as proxy:
        return proxy.reminders.plan_day({"day": day.isoformat()}, school)


def mail_log(system, school: str) -> dict:
    """The school's mail log as its registrar's page reads it."""
    caller = Caller("registrar-of-" + school, "registrar", school, frozenset({Role.REGISTRAR}))
    with ClusterRpcProxy(system.settings().nameko_config(), context_data=caller.to_context(), timeout=30) as proxy:
        return proxy.reminders.mail_log(None, 1, 200)


def settled(system, school: str, expected: int) -> dict:
    """The mail log once it holds `expected` rows and none of them is still on its way."""

    def done():
        log = mail_log(system, school)
        return log if log["total"] >= expected and not [i for i in log["items"] if i["status"] in OPEN] else None

    return wait_until(done, 60, "every reminder settled", interval=0.5)
