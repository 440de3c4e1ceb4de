"""The OpenAPI description of the callback API and the staff JSON API."""

from .base import env  # noqa: F401  (base defines env before it imports this module)
