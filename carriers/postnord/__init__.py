"""PostNord adapter.

Carrier APIs (hosts ``api2.postnord.com`` live, ``atapi2.postnord.com`` test), each checked
against PostNord's published specification (carriers/FIDELITY.md):

* Service Points v5 (5.0.14) ``/rest/businesslocation/v5/servicepoints/nearest/byaddress``:
  manned service points and parcel lockers near the recipient, by ``typeId``;
* Transit Time v2 (2.0.3) ``/rest/transport/v2/transittime/addresstoaddress``: availability
  and ETA;
* Booking API (3.5.29.1), EDI instruction v3: ``/rest/shipment/v3/edi/labels/pdf`` books with
  PDF labels; ``/rest/shipment/v3/labels/ids/pdf`` reprints by the booking answer's
  ``printId``; ``/rest/shipment/v3/edi`` with ``updateIndicator: Deletion`` cancels, for
  Swedish (Z12) agreements only (``units.cancel_supported``; no capture confirms it works);
* Track & Trace v7 ``/rest/shipment/v7/trackandtrace/id/{id}/public`` (tracking) and
  ``.../customernumber/{customerNumber}/reference/{reference}/public`` (lookup by reference).

Authentication: the ``apikey`` query parameter (credential ``api_key``). Credentials,
countries and products are declared once in ``declaration.py``.
"""

from .adapter import PostNordAdapter

__all__ = ["PostNordAdapter"]
