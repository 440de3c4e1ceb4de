"""factory_boy factories, one module per app."""

from .merchants import (
    CarrierAgreementFactory,
    DeliveryOptionAddonFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
    StoreFactory,
)
from .shipments import SessionFactory, ShipmentFactory

__all__ = [
    "CarrierAgreementFactory",
    "DeliveryOptionAddonFactory",
    "DeliveryOptionFactory",
    "KlarnaCredentialFactory",
    "MerchantFactory",
    "SessionFactory",
    "ShipmentFactory",
    "StoreFactory",
]
