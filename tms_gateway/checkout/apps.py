from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "tms_gateway.checkout"
    label = "checkout"
