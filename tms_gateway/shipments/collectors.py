"""Shipment gauges read at scrape time, added to the metrics by ``ShipmentsConfig.ready()``."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .confirms import confirms_pending
from .selectors import shipments_needing_attention_count

logger = logging.getLogger(__name__)


class PendingConfirmsCollector(Collector):
    """``tms_ksa_confirms_pending``: confirms received while the database was unreachable and
    not yet applied (confirms.py); above 0 only during such an outage."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "tms_ksa_confirms_pending",
            "Klarna confirms recorded during a database outage, waiting to be applied.",
        )
        family.add_metric([], float(confirms_pending()))
        yield family


class AttentionCollector(Collector):
    """``tms_shipments_needing_attention``: expired reservations whose order may have been paid,
    waiting for someone to confirm them by hand or dismiss them."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "tms_shipments_needing_attention",
            "Expired reservations whose order may have been paid, not yet confirmed or dismissed.",
        )
        try:
            family.add_metric([], float(shipments_needing_attention_count()))
        except Exception:
            logger.warning("shipments needing attention not counted: database unreachable")
            return
        yield family
