"""Tenants: merchants, their Klarna credentials, carrier agreements and delivery options."""
