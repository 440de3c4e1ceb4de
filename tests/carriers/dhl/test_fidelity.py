"""What DHL's declaration says it does not offer, the adapter refuses before any call
(the table itself is checked in tests/carriers/test_fidelity.py)."""

from __future__ import annotations

import pytest

from carriers.declaration import Operation
from carriers.dhl import DhlAdapter
from carriers.dhl.declaration import DECLARATION
from carriers.exceptions import OperationNotSupported
from carriers.types import AgreementCredentials, Booking


@pytest.mark.parametrize("operation", [Operation.CANCEL, Operation.FIND_BOOKING])
def test_what_is_not_offered_is_refused(operation: Operation) -> None:
    adapter = DhlAdapter()
    agreement = AgreementCredentials(agreement_id=1, customer_number="116768")

    assert not DECLARATION.supports(operation)
    with pytest.raises(OperationNotSupported):
        if operation is Operation.CANCEL:
            adapter.cancel(agreement=agreement, booking=Booking("1", ("1",)))
        else:
            adapter.find_booking(agreement=agreement, reference="shp_1")
