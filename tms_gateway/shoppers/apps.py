from django.apps import AppConfig


class ShoppersConfig(AppConfig):
    name = "tms_gateway.shoppers"
    label = "shoppers"
    verbose_name = "Remembered choices"
