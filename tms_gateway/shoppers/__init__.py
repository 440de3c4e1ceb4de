"""Remembered choices: a returning shopper finds last time's option and pickup point first.

A shop that switches ``Merchant.remember_choices`` on keeps, per shopper, the option and pickup
point of the last confirmed checkout, found again by the shopper's e-mail or mobile number.
Neither is kept in clear: only a keyed hash (HMAC-SHA256 under SHOPPER_HASH_KEYS, per shop, see
identity.py). The options answer preselects that option when it is still offered
(``choice_apply``); a confirm remembers it (``choice_remember``); a Celery task forgets choices
after the shop's ``remember_days`` (``remembered_choices_forget_expired``); partner staff and
the shop erase one shopper on request (``shopper_forget``, audited).
"""
