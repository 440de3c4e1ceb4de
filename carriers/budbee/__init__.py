"""Budbee (Instabee group) merchant API, the ``api.budbee.com`` REST API.

Each operation's published source is in carriers/FIDELITY.md (Budbee).

Endpoint versions are chosen by vendor media type: ``postalcodes-v2`` (home availability),
``intervals-v2`` (delivery windows), ``boxes-v1`` (Budbee Box lockers), ``multiple.orders-v2``
(create order, add parcels) and ``multiple.orders-v1`` (search, tracking URL, cancel). Auth is
HTTP Basic with the API key and secret. Tracking events are pushed by Budbee as webhooks
(``mappers.parse_tracking``); no API answers them on request.
"""

from .adapter import BudbeeAdapter

__all__ = ["BudbeeAdapter"]
