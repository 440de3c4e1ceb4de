from django.apps import AppConfig


class CarriersConfig(AppConfig):
    name = "carriers"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
