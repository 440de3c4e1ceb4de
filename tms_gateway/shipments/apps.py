from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "tms_gateway.shipments"
    label = "shipments"
