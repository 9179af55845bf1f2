"""RemindersService: decides each day's reminders and hands them to the mail workers (docs/architecture.md §6).

Modules: domain.py (reasons, keys, statuses, unsubscribe tokens; no I/O), compose.py (the zh-TW
words), planner.py (what the owning services are asked), store.py (outbox, opt-outs, daily runs),
topology.py (the durable mail queue), worker.py (the SMTP sender, a separate process).

A reminder is an outbox row first (its idempotency key unique), then a queue message: a message lost
between the two is published again by the reconcile; a message delivered twice finds its row taken.
Nothing here talks to the relay, and no request waits for a mail.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.reminders import compose, topology
from services.reminders.domain import (
    PROBLEMS,
    REASON_NAMES_ZH,
    STATUS_NAMES_ZH,
    Mail,
    Reason,
    Status,
    daily_run_due,
    explain,
    read_unsubscribe_token,
    unsubscribe_token,
)
from services.reminders.errors import UnsubscribeLinkInvalid
from services.reminders.planner import DISTRICT, Peers, Planner
from services.reminders.schemas import InvitationMail, MailLog, MailLogEntry, MailSettings, MailSettingsView, PlanDay, PlanResult
from services.reminders.store import RemindersStore
from shared.archived import ActAsSystem
from shared.caller import Caller
from shared.clock import to_taipei, utcnow
from shared.confirming_publisher import ConfirmingPublisher
from shared.logs import log_event
from shared.mongo import StoreProvider
from shared.permissions import Permission, require
from shared.service_base import CallerProvider, HealthMixin, SettingsProvider
from shared.tenancy import acting_school
from shared.validation import parse

log = logging.getLogger("licheng.reminders")
STALLED_AFTER = timedelta(minutes=10)
PLAN_TICK_S = 300


def taipei_today() -> date:
    return to_taipei(utcnow()).date()


def mail_publisher(settings: Any) -> ConfirmingPublisher:
    delays = topology.parse_delays(settings.mail_retry_delays)
    return ConfirmingPublisher(settings.amqp_uri, lambda channel: topology.declare(channel, delays), "reminders-publisher")


class RemindersService(HealthMixin):
    name = "reminders"

    store: RemindersStore = StoreProvider("reminders", RemindersStore)
    caller: Caller | None = CallerProvider()
    settings = SettingsProvider()
    act_as_system = ActAsSystem()
    identity = RpcProxy("identity")
    records = RpcProxy("records")
    certification = RpcProxy("certification")
    national_upload = RpcProxy("national_upload")
    backup = RpcProxy("backup")

    # --- the daily plan ---

    @rpc
    def plan_day(self, payload: dict | None = None, school_id: str | None = None) -> dict:
        """Decide and queue a school's reminders for today (the registrar, 立即寄送今日提醒), or for any
        school and day (internal work). A second run of the same day adds nothing."""
        caller = require(self.caller, Permission.SCHOOL_MAIL_MANAGE)
        request = parse(PlanDay, payload or {})
        school = DISTRICT if caller.is_system and school_id == DISTRICT else acting_school(caller, school_id)
        day = request.day if (caller.is_system and request.day) else taipei_today()
        self.act_as_system()  # the facts are asked as the system: the caller was checked above
        decided, queued = self._plan(school, day)
        return PlanResult(school_id=school, day=day, decided=decided, queued=queued).model_dump(mode="json")

    @timer(interval=PLAN_TICK_S)
    def daily_plan(self) -> None:
        """Once a day per school, from LICHENG_REMINDER_HOUR (Taipei) on; the first process to start a
        school's day plans it (a unique row per school and day)."""
        now = to_taipei(utcnow())
        if not daily_run_due(now.hour, self.settings.reminder_hour):
            return
        self.act_as_system()
        day = now.date()
        try:
            schools = self.identity.school_codes()
        except Exception as exc:  # identity not up yet: the next tick tries again
            log_event(log, "daily plan skipped", error=type(exc).__name__)
            return
        for school in [*schools, DISTRICT]:
            if not self.store.start_run(school, day.isoformat()):
                continue
            try:
                decided, queued = self._plan(school, day)
                log_event(log, "reminders planned", school_id=school, day=day.isoformat(), decided=decided, queued=queued)
            except Exception:  # one school's failure must not stop the others; its run is kept for the log
                log.exception("planning reminders failed for %s", school)

    def _plan(self, school: str, day: date) -> tuple[int, int]:
        settings = self.settings
        planner = Planner(
            Peers(self.identity, self.records, self.certification, self.national_upload, self.backup),
            settings.public_url or "",
            lambda s, account: self._unsubscribe_url(s, account),
        )
        opted_out = self.store.opted_out_of(school)
        if school == DISTRICT:
            mails = planner.plan_district(day, self.identity.school_codes(), opted_out)
        else:
            mails = planner.plan(school, day, opted_out)
        urls = {m.account_id: self._unsubscribe_url(school, m.account_id) for m in mails}
        added = self.store.add(mails, urls)
        if added:
            self._publish(school, [row["_id"] for row in added])
        return len(mails), len(added)

    def _publish(self, school: str, keys: list[str]) -> None:
        """On the durable queue; a failure leaves the rows queued for the reconcile to publish again."""
        try:
            with mail_publisher(self.settings) as publisher:
                for key in keys:
                    publisher.publish(topology.EXCHANGE, topology.SEND_KEY, {"school_id": school, "key": key}, message_id=key)
                    self.store.touch(school, key)
        except Exception as exc:
            log_event(log, "reminders not published; the reconcile will", school_id=school, error=type(exc).__name__)

    @timer(interval=120)
    def republish_stalled(self) -> None:
        """Rows decided ten minutes ago and never taken (their message lost) go on the queue again."""
        before = utcnow() - STALLED_AFTER
        for school in self.store.schools_in_outbox():
            keys = [row["_id"] for row in self.store.stalled(school, before)]
            if keys:
                log_event(log, "stalled reminders republished", school_id=school, count=len(keys))
                self._publish(school, keys)

    def _unsubscribe_url(self, school: str, account_id: str) -> str:
        settings = self.settings
        return f"{settings.public_url or ''}/mail/unsubscribe/{unsubscribe_token(settings.jwt_secret, school, account_id)}"

    # --- a parent invitation, mailed once (the code leaves the outbox when the mail is done) ---

    @rpc
    def send_invitation(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SCHOOL_GUARDIANS_MANAGE)
        school = caller.require_school()
        request = parse(InvitationMail, payload)
        join_url = f"{self.settings.public_url or ''}/parent/join?code={request.code}"
        letter = compose.parent_invitation(
            request.student_name, request.class_code, request.school_name, request.code, to_taipei(request.expires_at).date(), join_url
        )
        mail = Mail(
            school,
            f"invitation:{request.invitation_id}",
            request.to,
            f"{request.student_name} 家長",
            Reason.PARENT_INVITATION,
            request.invitation_id,
            taipei_today(),
            letter.subject,
            letter.body,
        )
        added = self.store.add([mail], {})
        if added:
            self._publish(school, [mail.key])
        return {"key": mail.key, "queued": bool(added)}

    # --- each person's setting, and the link that works without a login ---

    def _my_school(self, caller: Caller) -> str:
        return caller.school_id or DISTRICT

    @rpc
    def my_mail_settings(self) -> dict:
        caller = require(self.caller, Permission.SELF_MAIL_SETTINGS)
        out = self.store.opted_out(self._my_school(caller), caller.user_id)
        return MailSettingsView(reminders=not out).model_dump()

    @rpc
    def set_my_mail_settings(self, payload: dict) -> dict:
        caller = require(self.caller, Permission.SELF_MAIL_SETTINGS)
        wanted = parse(MailSettings, payload).reminders
        self.store.set_opt_out(self._my_school(caller), caller.user_id, not wanted, via="settings")
        return MailSettingsView(reminders=wanted).model_dump()

    def _token(self, token: str) -> tuple[str, str]:
        found = read_unsubscribe_token(self.settings.jwt_secret, token)
        if found is None:
            raise UnsubscribeLinkInvalid("此取消訂閱連結無效", "unknown or altered unsubscribe link")
        return found

    @rpc
    def unsubscribe_status(self, token: str) -> dict:
        """What the link's page shows before the click: whether its account still gets reminders."""
        school, account = self._token(token)
        return {"reminders": not self.store.opted_out(school, account)}

    @rpc
    def unsubscribe(self, token: str) -> dict:
        """The link in every mail (and its one-click POST, RFC 8058): no login, the signature is the proof."""
        school, account = self._token(token)
        self.store.set_opt_out(school, account, True, via="link")
        log_event(log, "unsubscribed by link", school_id=school)
        return {"reminders": False}

    # --- what the registrar sees: what was sent, what bounced or failed ---

    @rpc
    def warnings(self) -> list[dict]:
        """The registrar's home page: mails of the last week that bounced, failed or were cut short."""
        caller = require(self.caller, Permission.SCHOOL_MAIL_MANAGE)
        count = self.store.problems_since(caller.require_school(), utcnow() - timedelta(days=WARN_DAYS))
        if not count:
            return []
        return [{"message": f"近 {WARN_DAYS} 天有 {count} 封提醒信退信或寄送失敗，請至「郵件寄送紀錄」查看並更正電子郵件"}]

    @rpc
    def mail_log(self, status: str | None = None, page: int = 1, per_page: int = 50) -> dict:
        caller = require(self.caller, Permission.SCHOOL_MAIL_MANAGE)
        school = caller.require_school()
        page, per_page = max(1, int(page)), min(200, max(1, int(per_page)))
        # "problems": what the registrar acts on (bounces, failures, mails cut short)
        wanted = sorted(s.value for s in PROBLEMS) if status == "problems" else [status] if status in {s.value for s in Status} else None
        rows, total = self.store.log(school, wanted, (page - 1) * per_page, per_page)
        items = [_log_entry(r) for r in rows]
        return MailLog(items=items, total=total, page=page, per_page=per_page, counts=self.store.counts(school)).model_dump(mode="json")


WARN_DAYS = 7


def _log_entry(row: dict[str, Any]) -> MailLogEntry:
    reason, status = Reason(row["reason"]), Status(row["status"])
    return MailLogEntry(
        key=row["_id"],
        to=row["to"],
        name=row.get("name", ""),
        reason=reason,
        reason_zh=REASON_NAMES_ZH[reason],
        subject=row.get("subject", ""),
        status=status,
        status_zh=STATUS_NAMES_ZH[status],
        attempts=row.get("attempts", 0),
        detail=row.get("detail", ""),
        explanation=explain(status, row.get("detail", ""), row.get("attempts", 0)),
        created_at=row["created_at"],
        sent_at=row.get("sent_at") if isinstance(row.get("sent_at"), datetime) else None,
    )
