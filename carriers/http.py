"""The only place that talks HTTP to carriers.

Every call has a timeout, is traced (merchant, agreement, carrier, operation, status, duration,
request and response with secrets redacted) and has its failure mapped once:

* connection errors, timeouts, 5xx and 429 → ``CarrierUnavailable`` (``retry_after`` from 429);
* other 4xx → ``CarrierRejected`` carrying the carrier's own messages, verbatim;
* a body that is not what was expected → ``CarrierResponseInvalid`` (raised by ``.json()``);
* a host not allowed for the carrier (carriers/hosts.py) → ``CarrierHostRefused``, raised before
  any byte is sent and traced as refused, without the request's headers or body.

Retries happen only where the caller says a call is safe to repeat (``retries=``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from requests.cookies import RequestsCookieJar

from .declaration import Operation
from .exceptions import (
    CarrierHostRefused,
    CarrierRejected,
    CarrierResponseInvalid,
    CarrierUnavailable,
)
from .hosts import allowed_hosts, host_refusal
from .registry import adapters, secret_headers
from .types import AgreementCredentials, CarrierMessage

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
#: Headers that carry secrets whatever the carrier; each carrier declares its own too
#: (``CarrierDeclaration.secret_headers``).
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "cookie",
        "set-cookie",
    }
)
SECRET_PARAMS = frozenset(
    {"apikey", "api_key", "key", "access_token", "client_secret", "token", "auth-token"}
)
_SECRET_JSON_KEYS = re.compile(
    r'("(?:password|secret|apiKey|api_key|apikey|client_secret|access_token|token)"\s*:\s*)"[^"]*"',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CallContext:
    """Who is calling and why: what a trace, a cache key and a breaker key are made of."""

    carrier: str
    operation: str
    agreement: AgreementCredentials


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    duration_ms: int
    carrier: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError) as exc:
            raise CarrierResponseInvalid(
                f"{self.carrier} answered a body that is not JSON (HTTP {self.status})",
                carrier=self.carrier,
            ) from exc


@dataclass(frozen=True)
class TraceRecord:
    merchant_id: int
    agreement_id: int | None
    carrier: str
    operation: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    duration_ms: int
    response_body: str
    error: str = ""
    messages: tuple[CarrierMessage, ...] = field(default=())


ErrorParser = Callable[[HttpResponse], tuple[CarrierMessage, ...]]


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _SECRET_JSON_KEYS.sub(rf'\1"{REDACTED}"', text)


def redact_url(url: str, secrets: Iterable[str]) -> str:
    parts = urlsplit(url)
    query = [
        (k, REDACTED if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    cleaned = urlunsplit(parts._replace(query=urlencode(query, safe="[]")))
    return redact_text(cleaned, secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    hidden = SECRET_HEADERS | secret_headers()
    return {
        k: REDACTED if k.lower() in hidden else redact_text(str(v), secrets)
        for k, v in headers.items()
    }


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _body_for_trace(body: bytes, content_type: str, limit: int, secrets: tuple[str, ...]) -> str:
    """Text bodies as they came (redacted); labels and other binaries by size and type only."""
    kind = content_type.split(";")[0].strip().lower()
    textual = not kind or kind.startswith("text/") or "json" in kind or "xml" in kind
    if not textual or body.startswith(b"%PDF"):
        return f"<{len(body)} bytes of {kind or 'binary'}>"
    return redact_text(body[:limit].decode("utf-8", errors="replace"), secrets)


def _default_error_parser(response: HttpResponse) -> tuple[CarrierMessage, ...]:
    text = response.text.strip()
    return (CarrierMessage(code=str(response.status), text=text[:2000]),) if text else ()


def _carries_secret(prepared: requests.PreparedRequest, secrets: tuple[str, ...]) -> bool:
    body = prepared.body or b""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    if any(k.lower() in SECRET_HEADERS | secret_headers() for k in prepared.headers):
        return True
    parts = [str(prepared.url), text, *(str(v) for v in prepared.headers.values())]
    return any(secret in part for secret in secrets for part in parts)


@functools.cache
def _sink(path: str) -> Callable[[TraceRecord], None]:
    return import_string(path)


class CarrierHttp:
    """One per adapter; sessions are per thread, since a requests.Session is not thread-safe.

    ``hosts`` are the carrier's own hosts (carriers/hosts.py) for a client outside the adapter
    registry; a registered carrier's are its adapter's ``own_hosts()``.
    """

    def __init__(
        self,
        carrier: str,
        *,
        error_parser: ErrorParser | None = None,
        hosts: Iterable[str] | None = None,
    ) -> None:
        self.carrier = carrier
        self.error_parser = error_parser or _default_error_parser
        self._hosts = tuple(hosts) if hosts is not None else None
        self._local = threading.local()

    def host_refusal(
        self, prepared: requests.PreparedRequest, ctx: CallContext, secrets: tuple[str, ...]
    ) -> str:
        """Why this request may not be sent to its host; "" when it may."""
        adapter = adapters().get(self.carrier) if self._hosts is None else None
        own = self._hosts if self._hosts is not None else adapter.own_hosts() if adapter else ()
        url = str(prepared.url)
        refusal = host_refusal(url, allowed_hosts(self.carrier, own=own), carrier=self.carrier)
        storage = adapter.label_hosts if adapter is not None else ()
        if (
            refusal
            and storage
            and ctx.operation == Operation.LABEL
            and prepared.method == "GET"
            and not host_refusal(url, storage, carrier=self.carrier)
            and not _carries_secret(prepared, secrets)
        ):
            return ""
        return refusal

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Proxies come from CARRIER_HTTP_PROXY, not from scanning the environment on
            # every call (requests does that per request when trust_env is on).
            session.trust_env = False
            if settings.CARRIER_HTTP_PROXY:
                session.proxies = {
                    "http": settings.CARRIER_HTTP_PROXY,
                    "https": settings.CARRIER_HTTP_PROXY,
                }
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            if settings.CARRIER_HTTP_TRANSPORT and settings.CARRIER_SANDBOX_URL:
                # The sandbox answered in-process (the bench's options_computed); a dotted path,
                # so this module imports no sandbox.
                transport = import_string(settings.CARRIER_HTTP_TRANSPORT)
                session.mount(
                    settings.CARRIER_SANDBOX_URL.rstrip("/") + "/",
                    transport(settings.CARRIER_SANDBOX_URL),
                )
            self._local.session = session
        return session

    def request(
        self,
        method: str,
        url: str,
        *,
        ctx: CallContext,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        accept: Iterable[int] = (),
        retries: int = 0,
    ) -> HttpResponse:
        """Send once (plus ``retries`` for calls safe to repeat) and map the outcome.

        ``accept`` lists non-2xx statuses the caller reads itself (Budbee's 404 "not served").
        """
        timeout = timeout or (settings.CARRIER_CONNECT_TIMEOUT, settings.CARRIER_READ_TIMEOUT)
        attempt = 0
        while True:
            try:
                return self._send(
                    method,
                    url,
                    ctx=ctx,
                    params=params,
                    json_body=json_body,
                    data=data,
                    headers=headers or {},
                    auth=auth,
                    timeout=timeout,
                    accept=frozenset(accept),
                )
            except CarrierUnavailable as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                time.sleep(min(exc.retry_after or 0.2 * attempt, 2.0))

    def _send(
        self,
        method: str,
        url: str,
        *,
        ctx: CallContext,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: bytes | str | None,
        headers: Mapping[str, str],
        auth: tuple[str, str] | None,
        timeout: float | tuple[float, float],
        accept: frozenset[int],
    ) -> HttpResponse:
        secrets = ctx.agreement.secret_values()
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", **headers}
        # requests.Request(...).prepare() without the cookie jar and hooks carrier APIs never use.
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        prepared.prepare_url(url, params)
        prepared.prepare_headers(dict(headers))
        prepared.prepare_body(data, None)
        prepared.prepare_auth(auth, url)
        prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]  # none sent
        started = time.monotonic()
        refusal = self.host_refusal(prepared, ctx, secrets)
        if refusal:
            error = f"refused: {refusal}"
            self._trace(ctx, prepared, secrets, None, started, b"", error, (), request=False)
            raise CarrierHostRefused(
                f"{self.carrier}: {error}",
                carrier=self.carrier,
                messages=(CarrierMessage(code="host_refused", text=error),),
            )
        status: int | None = None
        body = b""
        error = ""
        messages: tuple[CarrierMessage, ...] = ()
        try:
            raw = self._session().send(prepared, timeout=timeout, allow_redirects=False)
            body = raw.content
            status = raw.status_code
            response = HttpResponse(
                status=raw.status_code,
                headers=dict(raw.headers),
                body=body,
                duration_ms=int((time.monotonic() - started) * 1000),
                carrier=self.carrier,
            )
        except requests.Timeout as exc:
            error = f"timeout after {timeout}s"
            raise CarrierUnavailable(
                f"{self.carrier}: {error}",
                carrier=self.carrier,
                # Only a read timeout leaves the request possibly processed by the carrier.
                maybe_processed=not isinstance(exc, requests.ConnectTimeout),
            ) from exc
        except requests.RequestException as exc:
            error = f"connection failed: {type(exc).__name__}"
            refused = "NewConnectionError" in repr(exc) or "refused" in str(exc).lower()
            raise CarrierUnavailable(
                f"{self.carrier}: {error}", carrier=self.carrier, maybe_processed=not refused
            ) from exc
        finally:
            if status is None:
                self._trace(ctx, prepared, secrets, None, started, b"", error, ())
        try:
            if response.status == 429 or response.status >= 500:
                messages = self._messages(response)
                error = f"HTTP {response.status}"
                raise CarrierUnavailable(
                    f"{self.carrier}: {error}",
                    carrier=self.carrier,
                    messages=messages,
                    retry_after=_retry_after(response.headers),
                    # 429 and 503 say "not now"; other 5xx may come after the work was done.
                    maybe_processed=response.status not in (429, 503),
                )
            if response.status >= 400 and response.status not in accept:
                messages = self._messages(response)
                error = f"HTTP {response.status}"
                raise CarrierRejected(
                    f"{self.carrier}: {error}: " + "; ".join(m.text for m in messages)[:500],
                    carrier=self.carrier,
                    messages=messages,
                )
            return response
        finally:
            self._trace(
                ctx,
                prepared,
                secrets,
                status,
                started,
                body,
                error,
                messages,
                response.headers.get("Content-Type", ""),
            )

    def _messages(self, response: HttpResponse) -> tuple[CarrierMessage, ...]:
        try:
            return self.error_parser(response) or _default_error_parser(response)
        except Exception:  # a carrier's error body that even its parser cannot read
            return _default_error_parser(response)

    def _trace(
        self,
        ctx: CallContext,
        prepared: requests.PreparedRequest,
        secrets: tuple[str, ...],
        status: int | None,
        started: float,
        body: bytes,
        error: str,
        messages: tuple[CarrierMessage, ...],
        content_type: str = "",
        *,
        request: bool = True,
    ) -> None:
        """``request=False`` (a refused call) keeps neither the request's headers nor body."""
        limit = settings.CARRIER_TRACE_MAX_BODY
        request_body = (prepared.body or b"") if request else b""
        if isinstance(request_body, bytes):
            request_body = request_body.decode("utf-8", errors="replace")
        record = TraceRecord(
            merchant_id=ctx.agreement.merchant_id,
            agreement_id=ctx.agreement.agreement_id or None,
            carrier=self.carrier,
            operation=ctx.operation,
            method=str(prepared.method),
            url=redact_url(str(prepared.url), secrets),
            request_headers=redact_headers(prepared.headers, secrets) if request else {},
            request_body=redact_text(request_body[:limit], secrets),
            status=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            response_body=_body_for_trace(body, content_type, limit, secrets),
            error=error,
            messages=messages,
        )
        try:
            _sink(settings.CARRIER_TRACE_SINK)(record)
        except Exception:
            logger.exception("carrier trace could not be stored")
