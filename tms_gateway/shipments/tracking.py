"""Tracking: refresh booked shipments that are not delivered yet from their carriers."""

from __future__ import annotations

import datetime as dt


def shipments_track(*, now: dt.datetime | None = None) -> int:
    """Refresh the tracking of booked, undelivered shipments; returns how many were asked."""
    raise NotImplementedError
