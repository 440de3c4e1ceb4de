from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "tms_gateway.insights"
    label = "insights"
    verbose_name = _("Checkout analytics")

    def ready(self) -> None:
        from carriers.breaker import breaker

        from .recorder import record_breaker_open

        def opened(key: tuple[str, int]) -> None:
            record_breaker_open(key=f"{key[0]}:{key[1]}", carrier=key[0])

        if opened not in breaker.on_open:
            breaker.on_open.append(opened)
