"""Sandbox routes for budbee (filled in with the adapter)."""

from .core import CarrierSandbox

sandbox = CarrierSandbox("budbee")
