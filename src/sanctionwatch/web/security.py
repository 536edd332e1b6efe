"""The web app's security: the access token, the bind rule and the response headers.

- **Token.** When the app has a token, every ``/api/*`` and ``/match/*`` request needs the
  header ``Authorization: Bearer TOKEN`` (compared in constant time). The document downloads a
  browser opens by URL (a vessel's dossier, a report, an export) also take ``?token=``, since a
  link or an iframe cannot send a header. Without a token the app must only listen on
  loopback: :func:`check_bind` is what ``sanctionwatch serve`` calls before binding.
- **Headers.** Every response carries :data:`CSP` (unless the route set its own, stricter
  one: the dossier), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``
  and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'")
"""The Content Security Policy of every response (docs/web-contract; MapLibre needs blob:
workers)."""

DOSSIER_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'self'")
"""The dossier's policy: the one its HTML file carries (no script at all; its inline style
sheet allowed), framable by the app itself so that the vessel page can show it."""

def tiles_origin(url: str) -> str:
    """The origin (``scheme://host[:port]``) of an online tile URL template, which must be
    ``http(s)://`` with ``{z}``, ``{x}`` and ``{y}``; ``ValueError`` otherwise."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"tile URL must start with https:// (or http://): {url!r}")
    if not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise ValueError(f"tile URL must hold {{z}}, {{x}} and {{y}}: {url!r}")
    if any(c in parts.netloc for c in " ;'\"\n"):
        raise ValueError(f"tile URL has a malformed host: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def csp(tiles_url: str | None = None) -> str:
    """:data:`CSP`, with the tile server's origin added to ``img-src`` and ``connect-src``
    when an online tile layer is configured (MapLibre fetches tiles with fetch())."""
    if not tiles_url:
        return CSP
    origin = tiles_origin(tiles_url)
    return (CSP.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {origin}")
            .replace("connect-src 'self'", f"connect-src 'self' {origin}"))


HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)

PROTECTED_PREFIXES = ("/api/", "/match/")
_QUERY_TOKEN_PATHS = re.compile(
    r"^/api/(vessels/[^/]+/dossier|wallets/[^/]+/dossier|reports/.+|export/.+)$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class UnsafeBind(ValueError):
    """A non-loopback bind without an access token."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only listens on this machine."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def check_bind(host: str, token: str | None) -> None:
    """Raise :class:`UnsafeBind` when ``host`` is not loopback and there is no token."""
    if not is_loopback(host) and not token:
        raise UnsafeBind(
            f"refusing to listen on {host} without an access token: anyone who can reach "
            "it could read the store. Give --token (or set SANCTIONWATCH_TOKEN), or bind "
            "to 127.0.0.1")


def token_ok(given: str | None, token: str) -> bool:
    """Constant-time comparison of a presented token with the app's."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class SecurityMiddleware:
    """ASGI middleware: the token check (when a token is set) and the security headers."""

    def __init__(self, app: ASGIApp, token: str | None, policy: str = CSP) -> None:
        self.app = app
        self.token = token
        self.policy = policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if self.token and path.startswith(PROTECTED_PREFIXES) and not self._authorised(scope):
            await self._deny(send, self.policy)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.policy))
                if b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"DENY"))
                headers.extend(h for h in HEADERS if h[0] not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

    def _authorised(self, scope: Scope) -> bool:
        assert self.token is not None
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                scheme, _, given = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token_ok(given.strip(), self.token):
                    return True
        if scope.get("method") == "GET" and _QUERY_TOKEN_PATHS.match(scope.get("path", "")):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            return any(token_ok(t, self.token) for t in query.get("token", []))
        return False

    @staticmethod
    async def _deny(send: Send, policy: bytes) -> None:
        body = json.dumps({"detail": "missing or wrong access token "
                                     "(Authorization: Bearer TOKEN)"}).encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"), (b"content-security-policy", policy),
            (b"x-frame-options", b"DENY"), *HEADERS]})
        await send({"type": "http.response.body", "body": body})


__all__ = ["CSP", "DOSSIER_CSP", "SecurityMiddleware", "UnsafeBind", "check_bind", "csp",
           "is_loopback", "tiles_origin", "token_ok"]
