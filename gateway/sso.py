"""Sign-in through a district's OpenID Connect providers (教育雲端帳號, 臺北市/新北/高雄… 單一身分驗證).

The gateway is the relying party: the authorization-code flow with PKCE (S256), `state` bound to the
browser by a cookie and to the server by an attempt identity keeps and hands back once, `nonce` in the
ID token, and the ID token verified here before identity hears of it: signature by the provider's
published keys (JWKS, refetched once when a key id is new), algorithms pinned per provider (RS256
unless configured), issuer, audience (and `azp` when there are several), expiry and issue time with a
minute of leeway. Authlib builds the requests and trades the code; joserfc (its sibling) verifies the
token. Nothing here decodes a JWT by hand.

A district configures its providers in the environment (README "Sign-in with a district's provider"):

    LICHENG_SSO_PROVIDERS=tpe,edu
    LICHENG_SSO_TPE_NAME=臺北市校園單一身分驗證
    LICHENG_SSO_TPE_ISSUER=https://...        LICHENG_SSO_TPE_CLIENT_ID=...   LICHENG_SSO_TPE_CLIENT_SECRET=...
    LICHENG_SSO_TPE_SCOPES=openid email profile   LICHENG_SSO_TPE_ALGORITHMS=RS256   (optional)
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from shared.errors import LichengError

_ID = re.compile(r"^[a-z0-9]{1,32}$")
LEEWAY_SECONDS = 60  # clocks of the provider and ours differ a little
DISCOVERY_SECONDS = 600  # how long the provider's metadata and keys are reused


class SsoRefused(LichengError):
    """The provider's answer cannot be trusted or used; the user starts again from the login page."""

    status = 400
    code = "sso_refused"
    title = "無法完成單一登入"
    title_en = "The sign-in could not be completed"


class ProviderUnavailable(LichengError):
    status = 502
    code = "sso_provider_unavailable"
    title = "登入服務暫時無法連線"
    title_en = "The sign-in provider cannot be reached"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    algorithms: tuple[str, ...] = ("RS256",)


def providers_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, Provider]:
    """The configured providers by id; a missing setting stops the gateway at start, not at a login."""
    providers: dict[str, Provider] = {}
    for raw in environ.get("LICHENG_SSO_PROVIDERS", "").split(","):
        pid = raw.strip().lower()
        if not pid:
            continue
        if not _ID.match(pid):
            raise RuntimeError(f"LICHENG_SSO_PROVIDERS: {raw!r} is not a provider id (a-z, 0-9, up to 32)")
        prefix = f"LICHENG_SSO_{pid.upper()}_"
        missing = [name for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET") if not environ.get(prefix + name)]
        if missing:
            raise RuntimeError("missing " + ", ".join(prefix + m for m in missing))
        algorithms = tuple(a.strip() for a in environ.get(prefix + "ALGORITHMS", "RS256").split(",") if a.strip())
        if not algorithms or any(a in {"none", "HS256", "HS384", "HS512"} for a in algorithms):
            raise RuntimeError(f"{prefix}ALGORITHMS: only asymmetric signatures are accepted")
        providers[pid] = Provider(
            id=pid,
            name=environ.get(prefix + "NAME", pid),
            issuer=environ[prefix + "ISSUER"],
            client_id=environ[prefix + "CLIENT_ID"],
            client_secret=environ[prefix + "CLIENT_SECRET"],
            scopes=environ.get(prefix + "SCOPES", "openid email profile"),
            algorithms=algorithms,
        )
    return providers


class ProviderClient:
    """One provider: its discovered metadata and keys (cached), the authorization request, the code's
    exchange and the ID token's verification."""

    def __init__(self, provider: Provider, timeout: float = 5.0) -> None:
        self.provider = provider
        self.timeout = timeout
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    # --- discovery ---

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched_at > DISCOVERY_SECONDS:
                url = self.provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
                metadata = self._get_json(url)
                if metadata.get("issuer") != self.provider.issuer:
                    raise ProviderUnavailable("登入服務的設定與本系統不符", f"the provider says its issuer is {metadata.get('issuer')!r}")
                self._metadata, self._keys, self._fetched_at = metadata, None, time.monotonic()
            return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        metadata = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                self._keys = KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))
            return self._keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable("登入服務暫時無法連線，請稍後再試或改用帳號密碼登入", f"{url}: {exc}") from None

    # --- the round trip ---

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.provider.client_id,
            self.provider.client_secret,
            scope=self.provider.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def authorization_request(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider's URL to send the browser to, and what the callback must match."""
        attempt = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32), "code_verifier": secrets.token_urlsafe(48)}
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=attempt["state"],
            nonce=attempt["nonce"],
            code_verifier=attempt["code_verifier"],
        )
        return url, attempt

    def exchange(self, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        try:
            token = self._session(redirect_uri).fetch_token(
                self.metadata()["token_endpoint"], code=code, code_verifier=code_verifier, timeout=self.timeout
            )
        except AuthlibBaseError as exc:  # the provider refused the code (used, expired, not ours)
            raise SsoRefused("登入服務拒絕了這次登入，請重新登入", f"token endpoint: {exc.error}") from None
        except requests.RequestException as exc:
            raise ProviderUnavailable("登入服務暫時無法連線，請稍後再試", f"token endpoint: {exc}") from None
        if not token.get("id_token"):
            raise SsoRefused("登入服務沒有提供身分資料", "no id_token in the token response")
        return dict(token)

    def verify_id_token(self, id_token: str, nonce: str, now: int | None = None) -> dict[str, Any]:
        """The ID token's claims once every check holds; SsoRefused says which did not."""
        try:
            token = self._decode(id_token)
        except (JoseError, ValueError) as exc:
            raise SsoRefused("登入資料的簽章無法驗證", f"id_token: {exc}") from None
        provider = self.provider
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise SsoRefused("登入資料無效或已過期，請重新登入", f"id_token: {exc}") from None
        claims = token.claims
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != provider.client_id:
            raise SsoRefused("登入資料不是發給本系統的", "id_token: several audiences and azp is not ours")
        return claims

    def userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        """The claims a provider keeps out of its ID token (many send e-mail only here); the same subject or nothing."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint or not access_token:
            return {}
        try:
            response = requests.get(endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=self.timeout)
            response.raise_for_status()
            info = response.json()
        except (requests.RequestException, ValueError):
            return {}  # the sign-in stands on the ID token; only an e-mail link is not possible then
        return info if isinstance(info, dict) and info.get("sub") == subject else {}

    def _decode(self, id_token: str) -> jwt.Token:
        algorithms = list(self.provider.algorithms)
        try:
            return jwt.decode(id_token, self.keys(), algorithms=algorithms)
        except (JoseError, ValueError):
            # A key id we have not seen: the provider may have rotated its keys since we fetched them.
            return jwt.decode(id_token, self.keys(refresh=True), algorithms=algorithms)


class SsoRegistry:
    """The gateway's providers (app.extensions["sso"])."""

    def __init__(self, providers: dict[str, Provider]) -> None:
        self.clients = {pid: ProviderClient(p) for pid, p in providers.items()}

    def get(self, provider_id: str) -> ProviderClient | None:
        return self.clients.get(provider_id)

    def public(self) -> list[dict[str, str]]:
        """What the login page shows: each provider's id and name (never its secrets)."""
        return [{"id": pid, "name": c.provider.name} for pid, c in self.clients.items()]
