"""Bring (Posten Bring) adapter.

APIs (carriers/FIDELITY.md, Bring), all on ``https://api.bring.com``:

* Shipping Guide API v2, ``POST /shippingguide/api/v2/products`` (agreement prices, expected
  delivery, time slots and alternative delivery dates);
* Pickup Point API, ``GET /pickuppoint/api/pickuppoint/{country}/postalCode/{postalCode}.json``;
* Booking API (schemaVersion 1), ``POST /booking/api/booking``;
* Tracking API v2, ``GET /tracking/api/v2/tracking.json?q=``.
"""

from .adapter import BringAdapter

__all__ = ["BringAdapter"]
