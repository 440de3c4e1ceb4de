"""factory_boy factories, one module per app."""

from .merchants import (
    CarrierAgreementFactory,
    DeliveryOptionAddonFactory,
    DeliveryOptionFactory,
    KlarnaCredentialFactory,
    MerchantFactory,
    StoreFactory,
)

__all__ = [
    "CarrierAgreementFactory",
    "DeliveryOptionAddonFactory",
    "DeliveryOptionFactory",
    "KlarnaCredentialFactory",
    "MerchantFactory",
    "StoreFactory",
]
