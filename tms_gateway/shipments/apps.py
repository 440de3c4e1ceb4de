from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "tms_gateway.shipments"
    label = "shipments"

    def ready(self) -> None:
        from tms_gateway.ops.metrics import scrape_collector_add

        from .collectors import AttentionCollector, PendingConfirmsCollector

        scrape_collector_add(PendingConfirmsCollector())
        scrape_collector_add(AttentionCollector())
