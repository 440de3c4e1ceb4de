from django.apps import AppConfig


class KsaConfig(AppConfig):
    name = "tms_gateway.ksa"
    label = "ksa"
