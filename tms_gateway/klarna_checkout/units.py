"""Code tables of the Checkout API: hosts, status values, the trace's service name."""

from __future__ import annotations

#: The name of these calls in CarrierTrace (the admin's traces) and in logs.
SLUG = "klarna-checkout"

#: Klarna's statuses of a checkout order (Checkout API v3). Until the shopper is authorized
#: the order is incomplete; Order.md of the generated client calls it "incomplete", the
#: update operation's note "checkout_incomplete" (read both as incomplete).
STATUS_INCOMPLETE = "checkout_incomplete"
STATUS_COMPLETE = "checkout_complete"
INCOMPLETE_STATUSES = frozenset({STATUS_INCOMPLETE, "incomplete"})

#: What ``klarna_order_status`` records when Klarna knows no such order (not a Klarna status).
NOT_FOUND = "not found"

# (provider, region, test_mode) → host. Klarna's from docs.klarna.com/api/api-urls; Kustom's
# seen in public Kustom client code, which knows only Europe (SOURCES.md).
KLARNA = "klarna"
KUSTOM = "kustom"
BASE_URLS: dict[tuple[str, str, bool], str] = {
    (KLARNA, "eu", False): "https://api.klarna.com",
    (KLARNA, "na", False): "https://api-na.klarna.com",
    (KLARNA, "oc", False): "https://api-oc.klarna.com",
    (KLARNA, "eu", True): "https://api.playground.klarna.com",
    (KLARNA, "na", True): "https://api-na.playground.klarna.com",
    (KLARNA, "oc", True): "https://api-oc.playground.klarna.com",
    (KUSTOM, "eu", False): "https://api.kustom.co",
    (KUSTOM, "eu", True): "https://api.playground.kustom.co",
}


def host_for(*, provider: str, region: str, test_mode: bool) -> str:
    """The provider's host for a region and mode; Kustom publishes Europe only, so every
    Kustom region uses the European host."""
    if provider == KUSTOM:
        region = "eu"
    try:
        return BASE_URLS[(provider, region, test_mode)]
    except KeyError:
        raise ValueError(f"no Checkout API host for {provider} in region {region!r}") from None
