from django.db import models


class CarrierTrace(models.Model):
    """One HTTP call to a carrier, secrets redacted; the carrier's own error text verbatim.

    A log: its foreign keys are not enforced by the database, so a trace written after its
    agreement was removed (a late answer) is kept instead of failing the batch it came in.
    """

    # By name: carriers/ sits below merchants/ and imports none of it.
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    agreement = models.ForeignKey(
        "merchants.CarrierAgreement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    carrier = models.CharField(max_length=20, db_index=True)
    operation = models.CharField(max_length=50)
    method = models.CharField(max_length=10)
    url = models.TextField()
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    carrier_messages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "carrier", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.carrier} {self.operation} {self.status_code or self.error}"
