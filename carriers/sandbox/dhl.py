"""Sandbox routes for dhl (filled in with the adapter)."""

from .core import CarrierSandbox

sandbox = CarrierSandbox("dhl")
