"""Credential values seen by this process (carrier agreements), which the logs redact wherever
they appear (tms_gateway/ops/logging.py reads them). Services remember the values they load;
it lives here, below both, so that services need not import the ops layer."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

_MAX_SECRETS = 2048
_secrets: OrderedDict[str, None] = OrderedDict()
_secrets_lock = threading.Lock()


def secrets_remember(values: Iterable[str]) -> None:
    """Remember credential values so a log line that repeats one (a carrier echoing a key in
    its error text) is redacted. Values shorter than 6 characters are ignored."""
    with _secrets_lock:
        for value in values:
            if value and len(value) >= 6:
                _secrets[value] = None
                _secrets.move_to_end(value)
        while len(_secrets) > _MAX_SECRETS:
            _secrets.popitem(last=False)


def secrets_known() -> list[str]:
    """The values remembered, oldest first (empty without taking the lock when there are none)."""
    if not _secrets:
        return []
    with _secrets_lock:
        return list(_secrets)
