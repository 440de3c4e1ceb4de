"""PostNord adapter.

Carrier APIs (hosts ``api2.postnord.com`` live, ``atapi2.postnord.com`` test; docs/carriers.md §1):

* Service Points v5 ``/rest/businesslocation/v5/servicepoints/nearest/byaddress``: manned
  service points and parcel lockers near the recipient, by ``typeId``;
* Transit Time v2 ``/rest/transport/v2/transittime/addresstoaddress``: availability and ETA;
* Booking API v3 (EDI instruction) ``/rest/shipment/v3/edi/labels/pdf``: booking with PDF
  labels; ``/rest/shipment/v3/edi`` (Deletion, a guess) to cancel; ``/v3/labels/ids/pdf`` to
  reprint;
* Track & Trace v5 ``/rest/shipment/v5/trackandtrace/findByIdentifier.json`` and v7
  ``.../customernumber/{customerNumber}/reference/{reference}/public`` (lookup by reference).

Authentication: the ``apikey`` query parameter (credential ``api_key``).
"""

from .adapter import PostNordAdapter

__all__ = ["PostNordAdapter"]
