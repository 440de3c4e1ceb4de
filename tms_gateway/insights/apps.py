from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "tms_gateway.insights"
    label = "insights"
