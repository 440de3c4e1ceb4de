"""Pages of a list that may hold a million bookings.

Django's Paginator counts every matching row (``COUNT(*)``) to know its last page: for a big
shop that is a second or more for each page of a broad search. :class:`CappedPaginator` counts
at most ``cap`` + 1 rows (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``, which stops as soon as
it has them) and pages through the first ``cap``: the newest ones, as the list is ordered. The
page says when there are more (``capped``), so the shop narrows the dates or the search to
reach older bookings, or exports them.

A broad search can still make PostgreSQL read many rows before it has counted ``cap`` of them
(it plans from an estimate of how many rows a word matches): on PostgreSQL the count gets
``COUNT_TIMEOUT_MS`` and, when it runs out, the list is taken to have more than ``cap`` rows.
The page's rows themselves are read with a LIMIT and come fast either way.
"""

from __future__ import annotations

from math import ceil
from typing import Any, cast

from django.core.paginator import Paginator
from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet
from django.utils.functional import cached_property

#: The most rows a list counts (80 pages of 25).
COUNT_CAP = 2_000
#: The longest a count may take on PostgreSQL.
COUNT_TIMEOUT_MS = 300


class CappedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, *, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        """The matching rows, counted up to ``cap`` + 1 (more than ``cap``: ``capped``)."""
        queryset = cast("QuerySet[Any]", self.object_list)
        limited = queryset[: self.cap + 1]
        connection = connections[limited.db]
        if connection.vendor != "postgresql":
            return int(limited.count())
        try:
            with transaction.atomic(using=limited.db), connection.cursor() as cursor:
                # Local to this transaction, and put back after the count: in a transaction
                # that goes on (ATOMIC_REQUESTS, tests) later queries keep their own limit.
                cursor.execute("SELECT current_setting('statement_timeout')")
                row = cursor.fetchone()
                previous = str(row[0]) if row else "0"
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [f"{COUNT_TIMEOUT_MS}ms"]
                )
                count = int(limited.count())
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
                return count
        except OperationalError:
            # Cancelled at the timeout (QueryCanceled): too many to count quickly.
            return self.cap + 1

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        """The pages of the first ``cap`` rows."""
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, min(self.count, self.cap) - self.orphans)
        return ceil(hits / self.per_page)
