"""Klarna (Kustom) Checkout API v3, read order: the gateway asks when Klarna has not confirmed.

``GET {base}/checkout/v3/orders/{order_id}`` with the shop's own API credentials (HTTP Basic),
answered with the checkout order: ``status`` (``checkout_incomplete`` until the shopper is
authorized, then ``checkout_complete``) and ``selected_shipping_option.tms_reference`` (the
shipment id the gateway gave Klarna's Shipping Assistant). See SOURCES.md for where each part
comes from and how sure it is.

* ``units.py``: hosts per provider, region and mode; status values;
* ``mappers.py``: pure parsing of an order and of an error body (``CheckoutOrder``);
* ``client.py``: transport through ``carriers.http.CarrierHttp`` (timed out, traced, redacted)
  and ``checkout_order_read``;
* ``sandbox.py``: a fake Checkout API served by the carrier sandbox under ``/klarna``.

What the gateway does with an order is in ``tms_gateway/shipments/reconcile.py``.
"""
