from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .declaration import Operation
from .registry import adapters, duplicate_slugs


@register()
def carrier_adapters_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        duplicates = duplicate_slugs(list(settings.CARRIER_ADAPTERS))
    except ImportError as exc:
        return [Error(f"CARRIER_ADAPTERS: {exc}", id="carriers.E002")]
    errors = [
        Error(f"CARRIER_ADAPTERS lists carrier {slug!r} twice", id="carriers.E001")
        for slug in duplicates
    ]
    for slug, adapter in adapters().items():
        declaration = adapter.declaration
        if declaration is None:
            errors.append(Error(f"carrier {slug!r} has no declaration", id="carriers.E003"))
            continue
        missing = [op.value for op in Operation if op not in declaration.fidelity]
        if missing:
            errors.append(
                Error(
                    f"carrier {slug!r} declares no fidelity verdict for {', '.join(missing)}",
                    hint="Every operation has a row in carriers/FIDELITY.md and a verdict.",
                    id="carriers.E004",
                )
            )
        if declaration.product(declaration.check_product) is None:
            errors.append(
                Error(
                    f"carrier {slug!r}: check product {declaration.check_product!r} is not one "
                    "of its products",
                    id="carriers.E005",
                )
            )
    return errors
