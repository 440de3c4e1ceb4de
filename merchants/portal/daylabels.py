"""The labels of one day's bookings as one PDF to print in one go.

"A day" is the shop's (its time zone): every booking booked from its midnight to the next and
still booked. Each stored PDF label becomes its pages in the merged file, in booking order.
What cannot be merged is listed instead, with why: a label in another format (ZPL for a
thermal printer), a label the carrier keeps at its own address (the portal only links to it,
as the single-label download does; it never fetches it), or bytes that are not a readable PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from merchants.models import Merchant
from tms_gateway.shipments.models import ShipmentLabel
from tms_gateway.shipments.selectors import shipment_labels_booked_between

logger = logging.getLogger(__name__)

NOT_PDF = _("not a PDF (%(format)s): download it from the booking's page")
AT_CARRIER = _("kept at the carrier's address: open it from the booking's page")
UNREADABLE = _("the stored PDF cannot be read")


@dataclass
class DayLabels:
    day: dt.date
    #: The merged PDF; None when no label of the day could be merged.
    pdf: bytes | None = None
    included: list[ShipmentLabel] = field(default_factory=list)
    #: (label, why it is not in the PDF)
    excluded: list[tuple[ShipmentLabel, str]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len(PdfReader(io.BytesIO(self.pdf)).pages) if self.pdf else 0


def day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of ``day`` in ``zone`` (23 or 25 hours when the clocks change)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), zone)
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), zone)
    return start, end


def day_labels_build(*, merchant: Merchant, day: dt.date) -> DayLabels:
    since, until = day_bounds(day, merchant.zone)
    result = DayLabels(day=day)
    writer = PdfWriter()
    labels = shipment_labels_booked_between(merchant=merchant, since=since, until=until)
    # A day's labels in chunks: their bytes are read a few at a time, not all at once.
    for label in labels.iterator(chunk_size=50):
        content = bytes(label.content or b"")
        fmt = (label.format or "pdf").lower()
        if not content:
            result.excluded.append((label, str(AT_CARRIER)))
            continue
        if fmt != "pdf":
            result.excluded.append((label, str(NOT_PDF) % {"format": fmt.upper()}))
            continue
        try:
            # Read every page before merging, so that a broken file adds nothing.
            reader = PdfReader(io.BytesIO(content))
            if not [page.mediabox for page in reader.pages]:
                raise ValueError("no pages")
        except (PyPdfError, ValueError, KeyError, TypeError, OSError):
            logger.warning(
                "label %s of shipment %s: not a readable PDF", label.pk, label.shipment_id
            )
            result.excluded.append((label, str(UNREADABLE)))
            continue
        writer.append(reader)
        result.included.append(label)
    if result.included:
        out = io.BytesIO()
        writer.write(out)
        result.pdf = out.getvalue()
    return result
