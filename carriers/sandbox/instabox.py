"""Sandbox routes for instabox (filled in with the adapter)."""

from .core import CarrierSandbox

sandbox = CarrierSandbox("instabox")
