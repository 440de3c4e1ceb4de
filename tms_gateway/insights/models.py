"""Checkout events (raw, kept INSIGHTS_RAW_DAYS) and the roll-ups the pages read.

An event carries no personal data: Klarna's session id only as a keyed hash
(``session_ref``), the recipient's country, the currency, and what was offered or chosen.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckoutEvent(models.Model):
    class Kind(models.TextChoices):
        ANSWER = "answer", "Answer"
        RESERVATION = "reservation", "Reservation"
        CONFIRM = "confirm", "Confirm"

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (merchant, ...) indexes below: a separate one would only slow inserts.
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    #: HMAC-SHA256 (hex) of Klarna's session id under INSIGHTS_SESSION_KEY: joins an answer to
    #: its reservation and confirm without keeping the id itself.
    session_ref = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    #: Answer: [{"id", "carrier", "price", "preselected", "position"}], in the order shown.
    options = models.JSONField(default=list, blank=True)
    #: Reservation/confirm: the chosen option and the fee charged (minor units).
    option_id = models.CharField(max_length=64, blank=True)
    price = models.IntegerField(null=True, blank=True)
    experiment_id = models.IntegerField(null=True, blank=True)
    variant = models.CharField(max_length=50, blank=True)
    remembered = models.BooleanField(default=False)
    #: Answer: [{"carrier", "ok", "duration_ms", "error"}] of the carriers asked.
    carriers = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "at"], name="insights_event_merchant_at"),
            models.Index(fields=["at"], name="insights_event_at"),
            models.Index(fields=["merchant", "session_ref"], name="insights_event_session"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.merchant_id} {self.at:%Y-%m-%d %H:%M}"


class BreakerOpening(models.Model):
    """A carrier's circuit breaker opened (not a shop's event: breakers are per agreement)."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    carrier = models.CharField(max_length=40)
    key = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.carrier} {self.at:%Y-%m-%d %H:%M}"


class OptionDay(models.Model):
    """One option of one shop on one day (the shop's own calendar day) in one market: what
    the analytics page reads. Rebuilt from the raw events by ``insights_rollup``."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (merchant, ...) indexes below: a separate one would only slow inserts.
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    option_id = models.CharField(max_length=64)
    carrier = models.CharField(max_length=40, blank=True)
    offered = models.PositiveIntegerField(default=0)
    preselected = models.PositiveIntegerField(default=0)
    chosen = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    #: Sum of the fees charged on confirmed checkouts (minor units of ``currency``).
    fee_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "day", "country", "currency", "option_id"],
                name="insights_optionday_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.option_id} {self.day}"


class CarrierHour(models.Model):
    """One carrier in one hour (UTC), over every shop: carrier health for partner staff."""

    id = models.BigAutoField(primary_key=True)
    hour = models.DateTimeField()
    carrier = models.CharField(max_length=40)
    calls = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    deadline_misses = models.PositiveIntegerField(default=0)
    breaker_openings = models.PositiveIntegerField(default=0)
    p50_ms = models.PositiveIntegerField(null=True, blank=True)
    p95_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "carrier"], name="insights_carrierhour_unique")
        ]
        indexes = [models.Index(fields=["carrier", "hour"], name="insights_carrierhour_carrier")]
        verbose_name = _("carrier health (hour)")
        verbose_name_plural = _("carrier health")

    def __str__(self) -> str:
        return f"{self.carrier} {self.hour:%Y-%m-%d %H:00}"
