"""What the gateway keeps of a returning shopper: a keyed hash and their last choice."""

from __future__ import annotations

import uuid

from django.db import models

from merchants.models import Merchant


class IdentityKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Mobile number"


class RememberedChoice(models.Model):
    """The last confirmed choice of one shopper of one shop, under one identity.

    ``identity_hash`` is HMAC-SHA256 (hex) of the shop, the kind and the normalised e-mail or
    number under the key ``key_id`` of SHOPPER_HASH_KEYS: the clear value is never stored.
    The e-mail and the number of one checkout share ``shopper_ref``, so erasing by either
    forgets both.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    identity_kind = models.CharField(max_length=5, choices=IdentityKind.choices)
    identity_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    shopper_ref = models.UUIDField(default=uuid.uuid4, db_index=True)
    option_id = models.CharField(max_length=64)
    pickup_point_id = models.CharField(max_length=255, blank=True)
    carrier = models.CharField(max_length=32, blank=True)
    last_used_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "identity_hash"], name="shoppers_choice_one_per_identity"
            )
        ]
        # The retention task deletes per shop by age.
        indexes = [models.Index(fields=["merchant", "last_used_at"], name="shoppers_choice_age")]

    def __str__(self) -> str:
        return f"{self.get_identity_kind_display()} {self.identity_hash[:8]}…"
