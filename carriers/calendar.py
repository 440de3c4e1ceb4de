"""Business days and local time, the same way for every carrier.

Carriers count delivery in business days and cut off orders at a local clock time; they send
local times without an offset. These helpers turn those into aware datetimes and day counts.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

#: ISO 3166 alpha-2 (and the alpha-3 some tracking APIs send) -> IANA zone.
_ZONES = {
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "IS": "Atlantic/Reykjavik",
    "DE": "Europe/Berlin",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "PL": "Europe/Warsaw",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "EE": "Europe/Tallinn",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "CZ": "Europe/Prague",
    "LU": "Europe/Luxembourg",
}
_ALPHA3 = {
    "SWE": "SE",
    "NOR": "NO",
    "DNK": "DK",
    "FIN": "FI",
    "ISL": "IS",
    "DEU": "DE",
    "NLD": "NL",
    "BEL": "BE",
    "POL": "PL",
    "AUT": "AT",
    "CHE": "CH",
    "FRA": "FR",
    "GBR": "GB",
    "EST": "EE",
    "LVA": "LV",
    "LTU": "LT",
    "ESP": "ES",
    "ITA": "IT",
    "CZE": "CZ",
    "LUX": "LU",
}
DEFAULT_ZONE = "Europe/Stockholm"


@cache
def zone_for(country: str, default: str = DEFAULT_ZONE) -> ZoneInfo:
    """The local time zone of a country (alpha-2 or alpha-3); ``default`` for others."""
    code = country.strip().upper()
    code = _ALPHA3.get(code, code)
    return ZoneInfo(_ZONES.get(code, default))


def aware(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A carrier's naive local time in ``zone``; an aware one is kept as it is."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def local_today(now: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The date in ``zone`` at ``now`` (a naive ``now`` is read as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(zone).date()


def business_days_between(start: dt.date, end: dt.date, *, weekend_end: bool = False) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when ``end`` is not later).

    Monday to Friday count; with ``weekend_end`` (carriers that deliver at weekends) an ``end``
    on a Saturday or Sunday counts too. Public holidays are not known.
    """
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 or (weekend_end and day == end):
            days += 1
    return days


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days (Monday to Friday) after ``start``."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day
