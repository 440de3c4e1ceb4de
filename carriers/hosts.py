"""Where a carrier's calls may go: the per-carrier host allow-list (``CARRIER_ALLOWED_HOSTS``).

Stored carrier secrets must never follow a URL somebody typed: ``carriers/http.py`` refuses, before
a byte is sent, any call whose host is not allowed for its carrier, and the agreement form refuses
such an API base URL when it is entered (merchants/admin/carrier_agreements.py).

A *pattern* is a host with an optional port:

* ``api2.postnord.com``: that host over HTTPS on its default port (443) only;
* ``*.mybring.com``: any host under mybring.com (not mybring.com itself), HTTPS on 443 only;
* ``127.0.0.1:8090``: that host on that port, over HTTP or HTTPS (the carrier sandbox);
* ``127.0.0.1:*``: that host on any port (the test suite's sandbox binds a free one).

A carrier's allowed hosts are ``CARRIER_ALLOWED_HOSTS[slug]`` when that is set, else its own:
the adapter's ``hosts`` (live and test) and ``other_hosts`` (e.g. DHL's group APIs), or what a
client outside the registry names (the Klarna checkout API's hosts). To them are always added
``CARRIER_ALLOWED_HOSTS["*"]``, the hosts of ``CARRIER_BASE_URLS[slug]`` (the operator's own
configuration) and the host of ``CARRIER_SANDBOX_URL`` when that is set (``make run``; production
leaves it empty unless configured).

Label PDFs are fetched only from these hosts, or from the storage the carrier declares for its
labels (``label_hosts``, e.g. the S3 Bring's label links redirect to), and from the latter only
with a GET that carries no secret of the agreement. A label anywhere else stays a link.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

#: The key of CARRIER_ALLOWED_HOSTS whose patterns every carrier allows.
EVERY_CARRIER = "*"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_pattern(url: str) -> str:
    """The pattern naming exactly this URL's host and port (``https://a.example`` → ``a.example``,
    ``http://a.example`` → ``a.example:80``); "" when the URL has no host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.scheme not in _DEFAULT_PORTS:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if parts.scheme == "https" and port in (None, 443):
        return host
    return f"{host}:{port or _DEFAULT_PORTS[parts.scheme]}"


def _parse(pattern: str) -> tuple[str, str]:
    """(host, port) of a pattern or URL; port "" (HTTPS default only), "*" or digits."""
    text = pattern.strip().lower()
    if "://" in text:
        text = url_pattern(text)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    return host.rstrip("."), port


def _host_matches(pattern_host: str, host: str) -> bool:
    if pattern_host.startswith("*."):
        return host.endswith(pattern_host[1:]) and len(host) > len(pattern_host) - 1
    return bool(pattern_host) and host == pattern_host


def _matches(pattern: str, parts: SplitResult, host: str, port: int) -> bool:
    pattern_host, pattern_port = _parse(pattern)
    if not _host_matches(pattern_host, host):
        return False
    if pattern_port == "*":
        return True
    if pattern_port == "":
        return parts.scheme == "https" and port == 443
    return pattern_port.isdigit() and int(pattern_port) == port


def allowed_hosts(carrier: str, *, own: Iterable[str] = ()) -> tuple[str, ...]:
    """The patterns a call of ``carrier`` may go to; ``own`` are the carrier's own hosts (used
    unless CARRIER_ALLOWED_HOSTS names the carrier)."""
    configured: dict[str, list[str]] = settings.CARRIER_ALLOWED_HOSTS
    patterns = list(configured[carrier]) if carrier in configured else list(own)
    patterns += configured.get(EVERY_CARRIER, [])
    patterns += [
        str(url) for url in (settings.CARRIER_BASE_URLS.get(carrier) or {}).values() if url
    ]
    if settings.CARRIER_SANDBOX_URL:
        patterns.append(settings.CARRIER_SANDBOX_URL)
    return tuple(dict.fromkeys(p for p in (_pattern_text(p) for p in patterns) if p))


def _pattern_text(pattern: str) -> str:
    return url_pattern(pattern) if "://" in pattern else pattern.strip().lower()


def host_refusal(url: str, patterns: Iterable[str], *, carrier: str) -> str:
    """Why ``url`` may not be called for ``carrier`` given ``patterns``; "" when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{url!r} is not a valid URL"
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in _DEFAULT_PORTS or not host:
        return "only http(s) URLs with a host are called"
    if parts.username is not None or parts.password is not None:
        return "a URL with a user name or password in it is never called"
    effective = port or _DEFAULT_PORTS[parts.scheme]
    if any(_matches(p, parts, host, effective) for p in patterns):
        return ""
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return (
        f"{where} is not an allowed host for {carrier} (CARRIER_ALLOWED_HOSTS; "
        f"allowed: {', '.join(patterns) or 'none'})"
    )


def carrier_host_refusal(carrier: str, url: str) -> str:
    """Why ``url`` may not be an API base URL of a configured carrier; "" when it may."""
    from .registry import adapters, carrier_name

    adapter = adapters().get(carrier)
    own = adapter.own_hosts() if adapter is not None else ()
    return host_refusal(url, allowed_hosts(carrier, own=own), carrier=carrier_name(carrier))
