"""An experiment of a shop and its variants.

A variant's ``changes`` are keyed by option code (the id Klarna receives)::

    {"home": {"prices": {"SEK": 2900}, "names": {"sv": "Hem"}, "sort_order": 1,
              "preselected": true}}

each part optional; prices in minor units, tax included. What the options are built with is
decided in apply.py; the shape is checked in validation.py.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from merchants.models import Merchant
from tms_gateway.common.models import BaseModel


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class Experiment(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(max_length=100)
    status = models.CharField(
        max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    #: The results computed when it stopped (results.py's shape), kept as they were.
    results = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            # One running experiment per shop: a session gets one variant.
            models.UniqueConstraint(
                fields=("merchant",),
                condition=models.Q(status="running"),
                name="experiment_one_running_per_merchant",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(BaseModel):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=50)
    share = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of the checkouts this variant gets.",
    )
    changes = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("experiment", "name"), name="experiment_variant_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name
