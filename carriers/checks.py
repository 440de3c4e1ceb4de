from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .registry import duplicate_slugs


@register()
def carrier_adapters_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        duplicates = duplicate_slugs(list(settings.CARRIER_ADAPTERS))
    except ImportError as exc:
        return [Error(f"CARRIER_ADAPTERS: {exc}", id="carriers.E002")]
    return [
        Error(f"CARRIER_ADAPTERS lists carrier {slug!r} twice", id="carriers.E001")
        for slug in duplicates
    ]
