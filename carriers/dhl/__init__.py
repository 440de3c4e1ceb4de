"""DHL: DHL Freight Sweden "API Farm" and the DHL group's Location Finder and Unified Tracking.

APIs and versions (each operation's published source: carriers/FIDELITY.md, DHL):

* DHL Freight Sweden API Farm, ``client-key`` auth: Servicepoint Locator API v1
  (``/servicepointlocatorapi/v1/servicepoint/findnearestservicepoints``), PostalCode API v1
  (``/postalcodeapi/v1/postalcodes/{cc}/{pc}/route``), Transport Instruction API v1
  (``/transportinstructionapi/v1/transportinstruction/sendtransportinstruction``) and Print API
  v1 (``/printapi/v1/print/printdocumentsbyid``).
* DHL Location Finder - Unified v1, ``DHL-API-Key`` auth:
  ``/location-finder/v1/find-by-address``.
* DHL Shipment Tracking - Unified, ``DHL-API-Key`` auth: ``/track/shipments``.

The carrier declares itself in ``declaration.py``; ``FIDELITY.md`` says against which published
payloads each operation was checked.
"""

from .adapter import DhlAdapter

__all__ = ["DhlAdapter"]
