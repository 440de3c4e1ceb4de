"""The gateway: answers the Klarna (Kustom) Shipping Assistant callback API for many shops."""

from .celery import app as celery_app

__all__ = ("celery_app",)
