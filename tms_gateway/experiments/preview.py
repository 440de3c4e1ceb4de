"""The checkout preview's view of experiments: which variant the previewed session gets, and
the variants staff may pick instead (merchants/preview.py).

The experiment previewed is the shop's running one, else its newest draft, so a draft's
variants can be checked before it starts. Picking a variant only changes the preview.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from merchants.models import Merchant
from tms_gateway.checkout.types import ExperimentAssignment, Session

from .assign import session_assign
from .models import Experiment, ExperimentStatus


@dataclass(frozen=True, slots=True)
class PreviewedVariant:
    experiment_id: int
    experiment: str
    running: bool
    variant: str
    #: Picked by staff (True) or assigned to the previewed session as a checkout would be.
    picked: bool

    @property
    def assignment(self) -> ExperimentAssignment:
        return ExperimentAssignment(experiment_id=self.experiment_id, variant=self.variant)


def _previewed(merchant: Merchant) -> Experiment | None:
    return (
        Experiment.objects.filter(merchant=merchant, status=ExperimentStatus.RUNNING).first()
        or Experiment.objects.filter(merchant=merchant, status=ExperimentStatus.DRAFT).first()
    )


def experiment_preview_choices(*, merchant: Merchant) -> list[tuple[str, str]]:
    """The select's choices: as assigned, then each variant of the previewed experiment."""
    experiment = _previewed(merchant)
    if experiment is None:
        return [("", _("No experiment"))]
    names = list(experiment.variants.values_list("name", flat=True))
    return [("", _("As this checkout is assigned")), *((n, n) for n in names)]


def experiment_preview(
    *, merchant: Merchant, session: Session, variant: str = ""
) -> PreviewedVariant | None:
    """The variant the preview is built with: the picked one (of the previewed experiment), or
    the one the running experiment assigns to this session; None without either."""
    experiment = _previewed(merchant)
    if experiment is None:
        return None
    running = experiment.status == ExperimentStatus.RUNNING
    if variant and experiment.variants.filter(name=variant).exists():
        return PreviewedVariant(experiment.pk, experiment.name, running, variant, picked=True)
    if not running:
        return None
    assigned = session_assign(merchant=merchant, session=session)
    if assigned is None or assigned.experiment_id != experiment.pk:
        return None
    return PreviewedVariant(experiment.pk, experiment.name, running, assigned.variant, False)
