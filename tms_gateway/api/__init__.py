"""The merchant API (``/api/v1/``, bearer tokens issued in the portal) and the OpenAPI
description of the gateway's JSON APIs (drf-spectacular)."""
