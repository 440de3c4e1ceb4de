"""Per-merchant rate limits on the Klarna callback API."""

from .base import env  # noqa: F401  (base defines env before it imports this module)
