"""Sandbox routes for bring (filled in with the adapter)."""

from .core import CarrierSandbox

sandbox = CarrierSandbox("bring")
