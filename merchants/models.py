"""Tenant data. Every tenant-owned row carries a non-null ``merchant``.

Business rules live in services/selectors and in ``tms_gateway.checkout``; models hold data
and the validation of their own fields only.
"""

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from carriers.registry import carrier_choices, carrier_name
from carriers.types import AddonType as CarrierAddon
from carriers.types import ProductKind
from tms_gateway.common.models import BaseModel

from .fields import EncryptedJSONField, EncryptedTextField
from .validators import (
    validate_countries,
    validate_currency_map,
    validate_customer_types,
    validate_locale_map,
    validate_opening_hours,
    validate_postal_code_rules,
    validate_tags,
)


class Carrier(models.TextChoices):
    """Not a carrier: the shop's own options (store pickup, own courier). The carriers come
    from their declarations (``carriers.registry``), so a new one needs no migration."""

    GENERIC = "generic", "Shop's own"


def agreement_carrier_choices() -> list[tuple[str, str]]:
    return carrier_choices()


def option_carrier_choices() -> list[tuple[str, str]]:
    return [*carrier_choices(), *Carrier.choices]


def carrier_label(slug: str) -> str:
    """A carrier's display name, or "Shop's own" for the shop's own options."""
    if slug == Carrier.GENERIC:
        return str(Carrier.GENERIC.label)
    return carrier_name(slug)


class OptionKind(models.TextChoices):
    HOME = "home", "Home delivery"
    LOCKER = "locker", "Parcel locker"
    PICKUP_POINT = "pickup_point", "Pickup point"
    STORE = "store", "In-store pickup"
    MAILBOX = "mailbox", "Letter / mailbox"
    OWN = "own", "Shop's own courier"


#: The carrier product an option of each carrier kind asks for (store and own are the shop's).
PRODUCT_KIND = {
    OptionKind.HOME: ProductKind.HOME,
    OptionKind.LOCKER: ProductKind.LOCKER,
    OptionKind.PICKUP_POINT: ProductKind.PICKUP_POINT,
    OptionKind.MAILBOX: ProductKind.MAILBOX,
}


class PriceMode(models.TextChoices):
    FIXED = "fixed", "The configured price"
    CARRIER = "carrier", "The carrier's agreement price"
    CARRIER_PLUS_MARGIN = "carrier_plus_margin", "The carrier's price plus a margin"


class ServiceClass(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPRESS = "express", "Express"
    ECONOMY = "economy", "Economy"
    COURIER = "courier", "Courier"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone: {value}")


class Merchant(BaseModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    default_locale = models.CharField(
        max_length=10, default="en", help_text="Language used when the shopper's has no text."
    )
    # Sender (the shop's warehouse): what carriers receive at booking.
    sender_name = models.CharField(max_length=200, blank=True)
    sender_street_address = models.CharField(max_length=200, blank=True)
    sender_postal_code = models.CharField(max_length=20, blank=True)
    sender_city = models.CharField(max_length=100, blank=True)
    sender_country = models.CharField(max_length=2, blank=True)
    sender_phone = models.CharField(max_length=30, blank=True)
    sender_email = models.EmailField(blank=True)
    #: The portal shows times, takes dates and exports in this zone (an IANA name).
    time_zone = models.CharField(
        max_length=64,
        default="Europe/Stockholm",
        validators=[validate_time_zone],
        help_text="IANA time zone of the shop, e.g. Europe/Stockholm or Europe/Helsinki.",
    )
    #: A booking that fails for good is e-mailed to the shop (to notification_email, else to
    #: every active portal user of the shop) when this is on.
    notify_booking_failures = models.BooleanField(
        default=True, help_text="E-mail the shop when a booking fails."
    )
    notification_email = models.EmailField(
        blank=True,
        help_text="Where failed-booking e-mails go; blank sends them to the shop's portal users.",
    )
    #: A returning shopper (same e-mail or mobile number) finds the option and pickup point
    #: they chose last time preselected (tms_gateway/shoppers); kept only as keyed hashes,
    #: forgotten ``remember_days`` after the last use.
    remember_choices = models.BooleanField(
        default=False,
        help_text="Preselect the option and pickup point a returning shopper chose last time.",
    )
    remember_days = models.PositiveIntegerField(
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days a shopper's last choice is kept after they last used it.",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The shop's time zone (Stockholm if the stored name is unknown)."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("Europe/Stockholm")


class KlarnaCredential(BaseModel):
    """The identifier and key a merchant enters in Klarna's portal.

    The key is encrypted, not hashed: the digest check recomputes SHA-256(nonce + key).
    After a rotation the previous key stays valid until ``previous_key_valid_until``.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="credentials")
    identifier = models.CharField(max_length=255, unique=True)
    key = EncryptedTextField()
    previous_key = EncryptedTextField(blank=True, default="")
    previous_key_valid_until = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.identifier


class CheckoutProvider(models.TextChoices):
    KLARNA = "klarna", "Klarna"
    KUSTOM = "kustom", "Kustom"


class CheckoutRegion(models.TextChoices):
    EU = "eu", "Europe"
    NA = "na", "North America"
    OC = "oc", "Oceania"


class KlarnaCheckoutCredential(BaseModel):
    """The shop's own Klarna (Kustom) Checkout API credentials, entered by partner staff.

    With them the gateway reads the checkout order (Checkout API v3, read order) of a
    reservation Klarna has not confirmed, and confirms it when the purchase went through
    (tms_gateway/shipments/reconcile.py). The password (shared secret) is encrypted and never
    shown back.
    """

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="checkout_credential"
    )
    provider = models.CharField(
        max_length=10, choices=CheckoutProvider.choices, default=CheckoutProvider.KUSTOM
    )
    region = models.CharField(
        max_length=2, choices=CheckoutRegion.choices, default=CheckoutRegion.EU
    )
    test_mode = models.BooleanField(
        default=True, help_text="Use the playground (test) environment instead of live."
    )
    username = models.CharField(
        max_length=255, help_text="The API username (UID / merchant id) of the shop's store."
    )
    password = EncryptedTextField(help_text="The API password (shared secret).")
    api_base_url = models.URLField(
        blank=True,
        help_text="Call this host instead of Klarna's or Kustom's (e.g. the local sandbox).",
    )
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_provider_display()} checkout API"


class MerchantApiToken(BaseModel):
    """A bearer token of the merchant API (``/api/v1/``), issued and revoked in the portal.

    The token is shown once when issued; only its SHA-256 is kept (and its first characters,
    so staff can tell tokens apart).
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “order system”.")
    prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class CarrierAgreement(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="agreements")
    carrier = models.CharField(max_length=20, choices=agreement_carrier_choices)
    customer_number = models.CharField(max_length=100, blank=True)
    credentials = EncryptedJSONField(blank=True, default=dict)
    test_mode = models.BooleanField(default=True, help_text="Use the carrier's test environment.")
    api_base_url = models.URLField(
        blank=True,
        help_text="Call this host instead of the carrier's (e.g. the carrier sandbox).",
    )
    is_active = models.BooleanField(default=True)
    # Carriers that push tracking (webhooks) post to /webhooks/<carrier>/<token>: the token is
    # shown once when issued; only its SHA-256 is kept, to find the agreement.
    webhook_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    webhook_issued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "carrier"], name="agreement_unique_carrier")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_carrier_display()}"


class Store(BaseModel):
    """A shop's own store, offered as a location of in-store pickup options."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="stores")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    street_address = models.CharField(max_length=200)
    postal_code = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    opening_hours = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_opening_hours],
        help_text='[{"weekday": 0, "opens": "10:00", "closes": "19:00"}, …] (0 = Monday)',
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="store_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryOption(BaseModel):
    """One option a shopper may be offered, with its conditions, prices and add-ons."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(max_length=64, help_text="The option id Klarna receives.")
    kind = models.CharField(max_length=20, choices=OptionKind.choices)
    carrier = models.CharField(max_length=20, choices=option_carrier_choices)
    agreement = models.ForeignKey(
        CarrierAgreement, on_delete=models.PROTECT, null=True, blank=True, related_name="options"
    )
    carrier_product = models.CharField(max_length=50, blank=True)
    carrier_product_name = models.CharField(max_length=100, blank=True)
    service_class = models.CharField(
        max_length=20, choices=ServiceClass.choices, default=ServiceClass.STANDARD
    )
    names = models.JSONField(validators=[validate_locale_map], help_text='{"sv": "…", "en": "…"}')
    descriptions = models.JSONField(default=dict, blank=True, validators=[validate_locale_map])

    # Prices: currency -> minor units, tax included.
    prices = models.JSONField(validators=[validate_currency_map], help_text='{"SEK": 4900}')
    free_shipping_thresholds = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_currency_map],
        help_text="Order total (minor units, per currency) from which this option is free.",
    )
    tax_rate = models.PositiveIntegerField(
        default=2500, validators=[MaxValueValidator(10000)], help_text="2500 = 25 %"
    )
    price_mode = models.CharField(
        max_length=30,
        choices=PriceMode.choices,
        default=PriceMode.FIXED,
        help_text="Where the carrier answers with an agreement price: use it, use the configured "
        "price, or add a margin to it. Without a carrier price the configured price applies.",
    )
    price_margins = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_currency_map],
        help_text="Margin per currency (minor units) added to the carrier's price.",
    )

    # Conditions; an empty condition always holds.
    countries = models.JSONField(default=list, blank=True, validators=[validate_countries])
    postal_codes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_postal_code_rules],
        help_text='Prefixes or ranges: ["11", "20000-29999"]',
    )
    max_total_weight_g = models.PositiveIntegerField(null=True, blank=True)
    max_length_mm = models.PositiveIntegerField(null=True, blank=True)
    max_width_mm = models.PositiveIntegerField(null=True, blank=True)
    max_height_mm = models.PositiveIntegerField(null=True, blank=True)
    required_tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
    excluded_tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
    customer_types = models.JSONField(
        default=list, blank=True, validators=[validate_customer_types]
    )

    sort_order = models.IntegerField(default=0)
    preselected = models.BooleanField(default=False)
    is_fallback = models.BooleanField(
        default=False, help_text="Offer this even when its carrier cannot be reached."
    )
    uses_timeslots = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    # Static delivery time, used unless the carrier answers with its own estimate.
    earliest_days = models.PositiveSmallIntegerField(null=True, blank=True)
    latest_days = models.PositiveSmallIntegerField(null=True, blank=True)
    cutoff = models.TimeField(null=True, blank=True, help_text="Local time of the order cut-off.")
    time_of_day_start = models.TimeField(null=True, blank=True)
    time_of_day_end = models.TimeField(null=True, blank=True)

    stores = models.ManyToManyField(Store, blank=True, related_name="options")

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="option_unique_code")
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.carrier == Carrier.GENERIC and self.kind not in (
            OptionKind.STORE,
            OptionKind.OWN,
            OptionKind.MAILBOX,
        ):
            errors["carrier"] = "Only store pickup, own courier and letters can be the shop's own."
        if self.kind in (OptionKind.STORE, OptionKind.OWN) and self.carrier != Carrier.GENERIC:
            errors["carrier"] = "Store pickup and own courier are the shop's own (generic)."
        if self.carrier != Carrier.GENERIC and not self.carrier_product:
            errors["carrier_product"] = "A carrier option needs its carrier product code."
        if (
            self.agreement_id
            and self.agreement
            and (
                self.agreement.merchant_id != self.merchant_id
                or self.agreement.carrier != self.carrier
            )
        ):
            errors["agreement"] = "The agreement must be this merchant's, with this carrier."
        if (
            self.earliest_days is not None
            and self.latest_days is not None
            and self.earliest_days > self.latest_days
        ):
            errors["latest_days"] = "Latest must not be before earliest."
        if errors:
            raise ValidationError(errors)


class AddonType(models.TextChoices):
    """The carrier contract's add-on vocabulary (``carriers.types.AddonType``), labelled."""

    SMS = CarrierAddon.SMS.value, "SMS notification"
    ENTRY_CODE = CarrierAddon.ENTRY_CODE.value, "Door / entry code"
    CARRY_IN = CarrierAddon.CARRY_IN.value, "Carry-in"
    LEAVE_AT_DOOR = CarrierAddon.LEAVE_AT_DOOR.value, "Leave at door"
    SIGNATURE = CarrierAddon.SIGNATURE.value, "Signature on delivery"
    INSURANCE = CarrierAddon.INSURANCE.value, "Insurance"
    OTHER = CarrierAddon.OTHER.value, "Other"


class DeliveryOptionAddon(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="addons")
    option = models.ForeignKey(DeliveryOption, on_delete=models.CASCADE, related_name="addons")
    code = models.SlugField(max_length=64, help_text="The add-on id Klarna receives.")
    type = models.CharField(max_length=30, choices=AddonType.choices)
    names = models.JSONField(default=dict, blank=True, validators=[validate_locale_map])
    prices = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_currency_map],
        help_text="Currency -> minor units. Empty means free in every currency.",
    )
    preselected = models.BooleanField(default=False)
    required = models.BooleanField(default=False)
    max_length = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Set for add-ons that take free text (e.g. a door code)."
    )
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["option", "code"], name="addon_unique_code")]

    def __str__(self) -> str:
        return self.code


class MerchantUser(BaseModel):
    """A shop's staff member: signs in to the portal and sees only this merchant's data."""

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="merchant_membership"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="users")

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"


class AuditLog(models.Model):
    """Who changed what of a merchant's credentials, agreements or options, and when.

    ``changes`` maps a field to ``[old, new]``; secrets appear only as "(changed)".
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="audit_log")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    object_repr = models.CharField(max_length=255)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"
