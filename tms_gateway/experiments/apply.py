"""The options of a checkout as its variant changes them.

The variant changes the shop's configuration for this checkout, not the built answer: each
changed option is a copy of its DeliveryOption with the variant's price as the configured price
of that currency, its names over the option's, its sort order and preselection. The checkout
then prices, names, sorts and preselects exactly as it does for the shop's own options, so a
free-shipping threshold still makes an option free, and where an option takes the carrier's
agreement price the variant's price applies only when there is none (see ``_option_price`` in
tms_gateway/checkout/services.py). The cached configuration itself is never changed.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

from merchants.models import DeliveryOption, Merchant
from tms_gateway.checkout.types import ExperimentAssignment, Session

from .assign import (
    ExperimentConfig,
    experiment_config_load,
    running_experiment,
    session_assign,
)
from .models import Experiment

logger = logging.getLogger(__name__)


def _config_for(*, merchant: Merchant, assignment: ExperimentAssignment) -> ExperimentConfig | None:
    running = running_experiment(merchant_id=merchant.pk)
    if running is not None and running.id == assignment.experiment_id:
        return running
    # Another experiment of the shop (the preview shows a draft's variants): read it now.
    if not Experiment.objects.filter(merchant=merchant, pk=assignment.experiment_id).exists():
        return None
    return experiment_config_load(experiment_id=assignment.experiment_id)


def options_vary(
    *, options: Sequence[DeliveryOption], changes: dict[str, dict], currency: str
) -> list[DeliveryOption]:
    """Copies of the changed options with the variant's changes; the others as they are."""
    preselect = any(change.get("preselected") for change in changes.values())
    varied = []
    for option in options:
        change = changes.get(option.code)
        if change is None and not preselect:
            varied.append(option)
            continue
        change = change or {}
        option = copy.copy(option)  # shallow: the prefetched add-ons and stores are shared
        price = (change.get("prices") or {}).get(currency)
        if price is not None:
            option.prices = {**option.prices, currency: price}
        if change.get("names"):
            option.names = {**option.names, **change["names"]}
        if "sort_order" in change:
            option.sort_order = change["sort_order"]
        if preselect:
            option.preselected = bool(change.get("preselected"))
        varied.append(option)
    return varied


def experiment_apply(
    *,
    merchant: Merchant,
    session: Session,
    options: list[DeliveryOption],
    assignment: ExperimentAssignment | None = None,
) -> tuple[list[DeliveryOption], ExperimentAssignment | None]:
    """The options this checkout is built from, and its assignment.

    ``assignment`` is the one the API view made before its answer-cache lookup (or the one the
    preview picked); without one it is made here as the API view makes it, from the shopper's
    identity or the session id (a reservation re-checks the choice with the same variant's
    prices). Never raising: on a failure the checkout gets
    the shop's own options, without an assignment.
    """
    try:
        if assignment is None:
            assignment = session_assign(merchant=merchant, session=session)
        if assignment is None:
            return options, None
        config = _config_for(merchant=merchant, assignment=assignment)
        variant = config.variant(assignment.variant) if config is not None else None
        if variant is None:
            return options, None
        return (
            options_vary(options=options, changes=variant.changes, currency=session.currency),
            assignment,
        )
    except Exception:  # the answer goes out with the shop's own options
        logger.exception("experiment not applied", extra={"merchant_id": merchant.pk})
        return options, None
