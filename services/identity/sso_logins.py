"""Sign-in through a district's OpenID Connect providers (教育雲端帳號, 縣市單一身分驗證).

The gateway runs the browser's round trip to the provider and verifies the ID token; identity maps the
provider's subject to one account and opens a session exactly as a password login does, so the session
ends, idles out and is revoked the same way. A subject is linked once: by the user from a signed-in
session, or on its first sign-in when the provider's verified e-mail is the one the school gave exactly
one account. An unlinked subject never creates an account; a disabled or archived account cannot sign in
this way either.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nameko.rpc import rpc

from services.identity import domain
from services.identity import sessions as session_rules
from services.identity.errors import AccountDisabled, SsoLinkNotFound, SsoLinkTaken, SsoUnlinked
from services.identity.schemas import SsoAttempt, SsoIdentity, SsoLinkView
from shared.caller import Caller
from shared.clock import utcnow
from shared.permissions import Permission, require, require_system
from shared.validation import parse

ATTEMPT_TTL = timedelta(minutes=10)  # from the login button to the provider's answer


class SsoLogins:
    caller: Caller | None

    def _system_only(self, what: str) -> None:
        require_system(self.caller, what)

    @rpc
    def sso_remember(self, payload: dict) -> None:
        """The gateway started a sign-in: keep what its callback must match."""
        self._system_only("starts provider sign-ins")
        attempt = parse(SsoAttempt, payload)
        now = utcnow()
        self.store.sso.remember({**attempt.model_dump(), "_id": attempt.state, "created_at": now, "expires_at": now + ATTEMPT_TTL})

    @rpc
    def sso_take(self, state: str) -> dict | None:
        """The attempt a callback names, once: None when unknown, used already or too old."""
        self._system_only("finishes provider sign-ins")
        if not isinstance(state, str) or not 32 <= len(state) <= 128:
            return None
        doc = self.store.sso.take(state, utcnow())
        return SsoAttempt.model_validate({k: v for k, v in doc.items() if k in SsoAttempt.model_fields}).model_dump() if doc else None

    @rpc
    def sso_login(self, payload: dict, client: dict | None = None) -> dict:
        self._system_only("signs in through providers")
        who = parse(SsoIdentity, payload)
        now = utcnow()
        doc = self._linked_account(who, now)
        school_id = doc["school_id"]
        if doc.get("disabled"):
            self.changes.record(school_id, None, "auth.login_disabled", doc["_id"], note=f"sso {who.provider}")
            raise AccountDisabled("此帳號已停用，請洽註冊組", "the account is disabled")
        address, user_agent = session_rules.client_of(client)
        result = self._open_session(doc, school_id, now, address, user_agent, via=f"sso:{who.provider}")
        self.changes.record(school_id, None, "auth.login", doc["_id"], note=f"{result['session_id']} sso {who.provider}")
        return result

    def _linked_account(self, who: SsoIdentity, now: Any) -> dict[str, Any]:
        link = self.store.sso.find(who.issuer, who.subject)
        if link is not None:
            doc = self.store.find_account(link["school_id"], link["account_id"])
            if doc is not None:
                self.store.sso.touch_link(link["_id"], now)
                return doc
            self.store.sso.remove_subject(who.issuer, who.subject)  # the account is gone: so is its link
        # First sign-in: the provider's verified e-mail is the one the school gave exactly one account.
        if who.email and who.email_verified:
            matches = self.store.accounts_with_email(who.email)
            if len(matches) == 1:
                doc = matches[0]
                if self._add_link(doc, who, now, "email"):
                    return doc
        raise SsoUnlinked(
            "此登入帳號尚未連結。請先以本系統帳號密碼登入，於「我的帳號」連結；或請註冊組於帳號填入您的電子郵件。",
            "this sign-in is not linked: log in with your password and link it under My account, "
            "or ask the registrar to record your e-mail on your account",
        )

    def _add_link(self, doc: dict[str, Any], who: SsoIdentity, now: Any, how: str) -> bool:
        added = self.store.sso.add(
            {
                "_id": domain.new_id(),
                "issuer": who.issuer,
                "subject": who.subject,
                "provider": who.provider,
                "school_id": doc["school_id"],
                "account_id": doc["_id"],
                "how": how,
                "linked_at": now,
            }
        )
        if added:
            self.changes.record(doc["school_id"], None, "account.sso_link", doc["_id"], note=f"{who.provider} {how}")
        return added

    @rpc
    def sso_link(self, session_id: str, payload: dict) -> dict:
        """Links the provider's subject to the account of a live session that asked for it."""
        self._system_only("links provider sign-ins")
        who = parse(SsoIdentity, payload)
        now = utcnow()
        _session, doc = self._live_session(self.store.sessions.get(session_id), now)
        existing = self.store.sso.find(who.issuer, who.subject)
        if existing is not None:
            if existing["account_id"] == doc["_id"] and existing["school_id"] == doc["school_id"]:
                return self._link_view(existing)
            raise SsoLinkTaken("此登入帳號已連結到另一個帳號，請先由該帳號解除連結", "this sign-in is linked to another account")
        if any(link["provider"] == who.provider for link in self.store.sso.of_account(doc["school_id"], doc["_id"])):
            raise SsoLinkTaken(
                "您的帳號已連結此登入方式的另一個帳號，請先解除連結", "your account is linked to another sign-in of this provider"
            )
        if not self._add_link(doc, who, now, "self"):
            raise SsoLinkTaken("此登入帳號已連結到另一個帳號", "this sign-in is linked to another account")
        return self._link_view(self.store.sso.find(who.issuer, who.subject) or {})

    @staticmethod
    def _link_view(link: dict[str, Any]) -> dict:
        return SsoLinkView(provider=link["provider"], linked_at=link["linked_at"], how=link.get("how", "self")).model_dump(mode="json")

    @rpc
    def my_sso_links(self) -> list[dict]:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        return [self._link_view(link) for link in self.store.sso.of_account(caller.require_school(), caller.user_id)]

    @rpc
    def unlink_sso(self, provider: str) -> None:
        caller = require(self.caller, Permission.SELF_ACCOUNT_READ)
        school_id = caller.require_school()
        if not isinstance(provider, str) or not self.store.sso.remove(school_id, caller.user_id, provider):
            raise SsoLinkNotFound("沒有連結此登入方式", "no such linked sign-in")
        self.changes.record(school_id, caller, "account.sso_unlink", caller.user_id, note=provider)
