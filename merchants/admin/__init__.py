"""Partner staff's admin: onboard a merchant in one flow.

A merchant's page is the start: its Klarna credentials (issue, rotate, revoke; issued once per
form, the plain key shown once, on the page the POST redirects to: merchants/admin/once.py), carrier agreements (credentials in masked fields,
never shown back; "Check connection" asks the carrier for a real quote), stores, shop users
(invited by e-mail) and a link to its delivery options. Every change of a merchant's
configuration is written to the audit log (merchants/audit.py) with secrets masked.

Permissions: the "Support" role sees everything and changes nothing (no actions, no buttons,
403 on a POST); "Admin" may do everything (``manage.py staff_roles``). Every action and view
that changes something checks ``has_change_permission`` of the model it changes.

The package holds one section each: ``base`` (audited saves, permission helpers, the read-only
inline), ``credentials`` (Klarna credentials, checkout API credential), ``carrier_agreements``,
``options`` (stores, delivery options), ``users`` (shop users, invitations, API tokens),
``merchants`` (the merchant's page) and ``audit_log``. Importing them registers every admin.
"""

from __future__ import annotations

from django.contrib import admin

from .audit_log import AuditLogAdmin
from .base import FORMFIELDS, NO_SAVE, TEMPLATES, AuditedModelAdmin, ReadOnlyInline
from .carrier_agreements import (
    CarrierAgreementAdmin,
    CarrierAgreementForm,
    CarrierAgreementInline,
    agreement_form_class,
    credential_field,
    credential_keys,
    credential_keys_set,
)
from .credentials import (
    CredentialIssueForm,
    CredentialStateFilter,
    KlarnaCheckoutCredentialForm,
    KlarnaCheckoutCredentialInline,
    KlarnaCredentialAdmin,
    KlarnaCredentialInline,
    credential_key_state,
    credential_state,
)
from .merchants import MerchantAdmin
from .options import (
    OPTION_FIELDSETS,
    DeliveryOptionAddonInline,
    DeliveryOptionAdmin,
    DeliveryOptionForm,
    MerchantCodeForm,
    StoreAdmin,
    StoreInline,
)
from .users import (
    InviteForm,
    MerchantApiTokenInline,
    MerchantUserInline,
    merchant_user_invitation_send,
)

__all__ = [
    "FORMFIELDS",
    "NO_SAVE",
    "OPTION_FIELDSETS",
    "TEMPLATES",
    "AuditLogAdmin",
    "AuditedModelAdmin",
    "CarrierAgreementAdmin",
    "CarrierAgreementForm",
    "CarrierAgreementInline",
    "CredentialIssueForm",
    "CredentialStateFilter",
    "DeliveryOptionAddonInline",
    "DeliveryOptionAdmin",
    "DeliveryOptionForm",
    "InviteForm",
    "KlarnaCheckoutCredentialForm",
    "KlarnaCheckoutCredentialInline",
    "KlarnaCredentialAdmin",
    "KlarnaCredentialInline",
    "MerchantAdmin",
    "MerchantApiTokenInline",
    "MerchantCodeForm",
    "MerchantUserInline",
    "ReadOnlyInline",
    "StoreAdmin",
    "StoreInline",
    "agreement_form_class",
    "credential_field",
    "credential_key_state",
    "credential_keys",
    "credential_keys_set",
    "credential_state",
    "merchant_user_invitation_send",
]

# The admin is the gateway's own: its name in the header and titles; "View site" opens the
# gateway's API documentation (the shops' REST API and where Klarna's callbacks are described).
admin.site.site_header = "TMS gateway · partner admin"
admin.site.site_title = "TMS gateway admin"
admin.site.index_title = "Onboard and support shops"
admin.site.site_url = "/api/docs/"
