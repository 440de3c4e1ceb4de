from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "tms_gateway.common"
    label = "common"
