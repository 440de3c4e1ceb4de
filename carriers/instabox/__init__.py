"""Instabox, through the new Instabee API (beta; ``Accept-Version: 1.0.0``).

Hosts ``api.integration.instabee.com`` (live) and ``sandbox-api.integration.instabee.com`` (test);
``Authorization: ApiKey <key>``. Used here (https://instabee-api-docs.vercel.app/docs/,
per operation in carriers/FIDELITY.md, Instabox):

* ``GET /availability/countries/{cc}/postal-codes/{pc}/delivery-options?brand=…&product=…``
  for Instabox lockers by sort code (``brand=instabox&product=LOCKER_EXPRESS``) and home
  delivery, which is Instabee's Budbee brand, with its delivery slots
  (``brand=budbee&product=HOME_DELIVERY``); its ``availabilityToken`` and ``sortCode`` are kept
  for the booking;
* ``PUT /orders`` twice per booking: post-purchase, then post-packing, which answers the label.

The declaration (credential ``api_key``, products, countries, fidelity) is in declaration.py;
how each operation was checked against Instabee's docs is in FIDELITY.md.

Tracking reaches merchants only as webhooks (V2 events, locker checkpoints): see mappers.py.
The legacy Instabox API (OAuth2, ``availability.instabox.se``) is not used.
"""

from .adapter import InstaboxAdapter

__all__ = ["InstaboxAdapter"]
