"""The OpenAPI description of the gateway's JSON APIs (drf-spectacular)."""
