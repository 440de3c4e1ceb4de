"""Carrier adapters: one contract (base.py), one folder per carrier, a registry by settings."""
