"""Mail workers: `python -m services.reminders.worker` (one is plenty; several share the queue).

Each message names one outbox row. The worker waits its turn (the throttle), claims the row, hands the
mail to the SMTP relay, records what the relay said, and only then acknowledges the message.

Exactly once, as far as SMTP allows: a row is claimed before it is sent, and a redelivered message
whose row is still claimed (the worker died during the conversation with the relay) is marked
"寄送中斷，可能未送達" for the registrar rather than sent again. Nothing is sent twice; the one mail
a killed worker may have cut short is named, not silently lost. A message for a row already final
changes nothing.
"""

from __future__ import annotations

import json
import logging
import signal
import smtplib
import ssl
import sys
import time
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

import pika
from pika.exceptions import AMQPConnectionError, ChannelClosedByBroker, ConnectionClosedByBroker, StreamLostError

from services.reminders import topology
from services.reminders.domain import FINAL, Reason, Status, TokenBucket
from services.reminders.store import RemindersStore
from shared.amqp import pika_parameters
from shared.config import Settings, load_settings
from shared.confirming_publisher import ConfirmingPublisher
from shared.logs import configure_logging, log_event
from shared.mongo import make_client

log = logging.getLogger("licheng.reminders.worker")
HAND_BACK_PAUSE_SECONDS = 2.0


class Verdict:
    """What the relay said about one mail."""

    SENT = "sent"
    BOUNCED = "bounced"  # 5xx for the address: it will never take it
    REFUSED = "refused"  # 5xx for the message: retrying changes nothing
    LATER = "later"  # 4xx, or the relay unreachable: try again after a delay


class Relay:
    """One SMTP connection, reused while it lasts (opened again after any failure)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None

    def send(self, message: EmailMessage) -> tuple[str, str]:
        try:
            if self.smtp is None:
                self.smtp = self._open()
            refused = self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return (Verdict.BOUNCED if code >= 500 else Verdict.LATER), f"{code} {_text(text)}"
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth failed
            self.close()
            return (Verdict.REFUSED if exc.smtp_code >= 500 else Verdict.LATER), f"{exc.smtp_code} {_text(exc.smtp_error)}"
        except (smtplib.SMTPException, OSError) as exc:  # unreachable, disconnected, timed out
            self.close()
            return Verdict.LATER, f"{type(exc).__name__}: {exc}"
        if refused:  # one recipient per mail: refused means that one
            code, text = next(iter(refused.values()))
            return Verdict.BOUNCED, f"{code} {_text(text)}"
        return Verdict.SENT, ""


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def build_message(row: dict, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    sender_name, sender_address = parseaddr(settings.mail_from)
    domain = sender_address.rpartition("@")[2] or "licheng.invalid"
    message["From"] = formataddr((sender_name, sender_address))
    message["To"] = formataddr((row.get("name", ""), row["to"]))
    message["Subject"] = row["subject"]
    message["Message-ID"] = make_msgid(idstring=row["_id"], domain=domain)
    message["X-Licheng-Key"] = row["_id"]  # one key per recipient, reason and day
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    if row.get("unsubscribe_url"):
        message["List-Unsubscribe"] = f"<{row['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(row["body"], charset="utf-8")
    return message


class MailHandler:
    """What one message does; separate from the consuming loop so it can be tested on its own."""

    def __init__(
        self, store: RemindersStore, relay: Relay, publisher: ConfirmingPublisher, settings: Settings, throttle: TokenBucket
    ) -> None:
        self.store = store
        self.relay = relay
        self.publisher = publisher
        self.settings = settings
        self.throttle = throttle
        self.delays = topology.parse_delays(settings.mail_retry_delays)

    def handle(self, school_id: str, key: str) -> Status | None:
        row = self.store.get(school_id, key)
        if row is None or Status(row["status"]) in FINAL:
            return None  # unknown or done: a redelivery changes nothing
        if row["status"] == Status.SENDING.value:  # a worker died while talking to the relay
            secret = row.get("reason") == Reason.PARENT_INVITATION.value
            self.store.settle(school_id, key, Status.IN_DOUBT, "寄送途中中斷，為免重複寄送，未再寄出", forget_body=secret)
            return Status.IN_DOUBT
        if self.store.opted_out(school_id, row["account_id"]):
            self.store.settle(school_id, key, Status.SUPPRESSED)
            return Status.SUPPRESSED
        self.throttle.wait()  # before the claim: a worker stopped while waiting leaves the row untouched
        claimed = self.store.claim(school_id, key)
        if claimed is None:
            return None  # another worker took it
        verdict, detail = self.relay.send(build_message(claimed, self.settings))
        secret = claimed.get("reason") == Reason.PARENT_INVITATION.value  # its code leaves with the mail
        if verdict == Verdict.SENT:
            self.store.settle(school_id, key, Status.SENT, forget_body=secret)
            return Status.SENT
        if verdict == Verdict.BOUNCED:
            self.store.settle(school_id, key, Status.BOUNCED, detail, forget_body=secret)
            return Status.BOUNCED
        attempts = int(claimed.get("attempts", 1))
        if verdict == Verdict.REFUSED or attempts >= self.settings.mail_max_attempts:
            self.store.settle(school_id, key, Status.FAILED, detail, forget_body=secret)
            return Status.FAILED
        self.store.settle(school_id, key, Status.RETRYING, detail)
        delay = self.delays[min(attempts - 1, len(self.delays) - 1)]
        self.publisher.publish(topology.EXCHANGE, topology.retry_key(delay), {"school_id": school_id, "key": key}, message_id=key)
        return Status.RETRYING


class Worker:
    def __init__(self, settings: Settings, prefetch: int = 10) -> None:
        self.settings = settings
        self.prefetch = prefetch
        self.stopping = False
        self.connection: pika.BlockingConnection | None = None
        self.channel = None

    def stop(self, *_: object) -> None:
        self.stopping = True
        if self.connection is not None and self.connection.is_open:
            self.connection.add_callback_threadsafe(self._stop_consuming)

    def _stop_consuming(self) -> None:
        if self.channel is not None and self.channel.is_open:
            self.channel.stop_consuming()

    def run(self) -> None:
        """Consume until stopped; reconnect with backoff when RabbitMQ goes away (nothing is lost meanwhile)."""
        client = make_client(self.settings)
        store = RemindersStore(client[self.settings.database_name("reminders")])
        store.ensure_indexes()
        relay = Relay(self.settings)
        throttle = TokenBucket(self.settings.mail_per_minute, time.monotonic, time.sleep)
        backoff = 1.0
        while not self.stopping:
            try:
                self._consume(store, relay, throttle)
                backoff = 1.0
            except (AMQPConnectionError, ConnectionClosedByBroker, ChannelClosedByBroker, StreamLostError) as exc:
                if self.stopping:
                    break
                log_event(log, "broker connection lost; reconnecting", error=type(exc).__name__, wait_s=backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 15.0)
        relay.close()
        client.close()

    def _consume(self, store: RemindersStore, relay: Relay, throttle: TokenBucket) -> None:
        delays = topology.parse_delays(self.settings.mail_retry_delays)
        with ConfirmingPublisher(self.settings.amqp_uri, lambda ch: topology.declare(ch, delays), "reminders-worker") as publisher:
            handler = MailHandler(store, relay, publisher, self.settings, throttle)
            self.connection = pika.BlockingConnection(pika_parameters(self.settings.amqp_uri, heartbeat=60))
            channel = self.channel = self.connection.channel()
            topology.declare(channel, delays)
            channel.basic_qos(prefetch_count=self.prefetch)

            def on_message(channel, method, properties, body: bytes) -> None:
                message = json.loads(body)
                try:
                    status = handler.handle(message["school_id"], message["key"])
                except Exception:  # the database away: handed back, redelivered later
                    log.exception("mail failed; handed back for redelivery")
                    time.sleep(HAND_BACK_PAUSE_SECONDS)
                    channel.basic_nack(method.delivery_tag, requeue=True)
                    return
                log_event(log, "mail", school=message["school_id"], state=status.value if status else "already final")
                channel.basic_ack(method.delivery_tag)  # only after the result is recorded

            channel.basic_consume(topology.SEND_QUEUE, on_message)
            try:
                channel.start_consuming()
            finally:
                if self.connection.is_open:
                    self.connection.close()


def main() -> None:
    configure_logging()
    settings = load_settings()
    worker = Worker(settings)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    log_event(log, "mail worker started", relay=f"{settings.smtp_host}:{settings.smtp_port}", per_minute=settings.mail_per_minute)
    worker.run()
    sys.exit(0)


if __name__ == "__main__":
    main()
