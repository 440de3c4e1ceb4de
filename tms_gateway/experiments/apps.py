from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "tms_gateway.experiments"
    label = "experiments"
    verbose_name = "Experiments"
