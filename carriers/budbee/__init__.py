"""Budbee (Instabee group) merchant API, the ``api.budbee.com`` REST API (docs/carriers.md §3).

Endpoint versions are chosen by vendor media type: ``postalcodes-v2`` (home availability),
``intervals-v2`` (delivery windows), ``boxes-v1`` (Budbee Box lockers), ``multiple.orders-v2``
(create order, add parcels), ``multiple.orders-v1`` (search, tracking URL, cancel) and
``parcels-v1`` (parcel events). Auth is HTTP Basic with the API key and secret.
"""

from .adapter import BudbeeAdapter

__all__ = ["BudbeeAdapter"]
