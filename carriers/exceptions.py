"""Carrier failures: one hierarchy, one meaning each.

``CarrierRejected`` (the carrier refused the request: 4xx, not retried) versus
``CarrierUnavailable`` (timeout, 5xx, 429: retried with backoff by bookings, dropped by the
options fan-out).
"""

from .types import CarrierMessage


class CarrierError(Exception):
    def __init__(
        self, message: str, *, carrier: str = "", messages: tuple[CarrierMessage, ...] = ()
    ):
        super().__init__(message)
        self.carrier = carrier
        self.messages = messages


class CarrierRejected(CarrierError):
    """The carrier understood and refused the request; sending it again will not help."""


class CarrierHostRefused(CarrierRejected):
    """The call's host is not allowed for the carrier (carriers/hosts.py): nothing was sent."""


class CarrierUnavailable(CarrierError):
    """The carrier could not answer now (timeout, 5xx, 429); ``retry_after`` in seconds."""

    def __init__(
        self,
        message: str,
        *,
        carrier: str = "",
        messages: tuple[CarrierMessage, ...] = (),
        retry_after: float | None = None,
        maybe_processed: bool = False,
    ):
        super().__init__(message, carrier=carrier, messages=messages)
        self.retry_after = retry_after
        #: The request may have reached and changed the carrier (the answer was lost): a
        #: booking must be looked up before it is sent again.
        self.maybe_processed = maybe_processed


class CarrierResponseInvalid(CarrierUnavailable):
    """The carrier answered something we cannot parse (so it may have done the work)."""

    def __init__(
        self,
        message: str,
        *,
        carrier: str = "",
        messages: tuple[CarrierMessage, ...] = (),
        retry_after: float | None = None,
        maybe_processed: bool = True,
    ):
        super().__init__(
            message,
            carrier=carrier,
            messages=messages,
            retry_after=retry_after,
            maybe_processed=maybe_processed,
        )


class OperationNotSupported(CarrierError):
    """The adapter does not offer this operation (see its capabilities)."""
