"""Sandbox routes for postnord (filled in with the adapter)."""

from .core import CarrierSandbox

sandbox = CarrierSandbox("postnord")
