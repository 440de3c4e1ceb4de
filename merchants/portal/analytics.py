"""The shop's checkout analytics: per option offered, chosen and confirmed, the share of
choices and the average fee charged, per market and per week, as a page and as CSV.

Everything is read from the daily roll-ups (tms_gateway/insights): a few thousand rows for a
quarter of a shop with a million checkouts a month. Days are the shop's own calendar days.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from tms_gateway.common.money import minor_unit_exponent
from tms_gateway.insights.selectors import (
    WeekFigures,
    analytics_countries,
    analytics_markets,
    analytics_options,
    analytics_weeks,
)

from . import labels
from .charts import bar_chart, column_chart
from .exports import uses_semicolons
from .forms import DateInput
from .selectors import portal_options
from .views import ShopPage, ShopView

CSV_HEADER = (
    "week",
    "country",
    "currency",
    "option_id",
    "option_name",
    "offered",
    "chosen",
    "confirmed",
    "share_of_choices",
    "average_fee",
)


class AnalyticsForm(forms.Form):
    """The analytics' days (the last 8 weeks up to today unless given; at most a year) and
    market (every market unless one is chosen)."""

    DEFAULT_DAYS = 56
    MAX_DAYS = 366

    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    country = forms.ChoiceField(label=_("Market"), required=False)

    def __init__(self, *args: Any, today: dt.date, countries: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", _("All markets")), *((c, c) for c in countries)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The first day comes after the last."))
        if since and until and (until - since).days + 1 > self.MAX_DAYS:
            raise forms.ValidationError(_("Choose at most a year."))
        return data

    def filters(self) -> tuple[dt.date, dt.date, str]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        until = data.get("until") or self.today
        since = data.get("since") or until - dt.timedelta(days=self.DEFAULT_DAYS - 1)
        if (until - since).days + 1 > self.MAX_DAYS:
            since = until - dt.timedelta(days=self.MAX_DAYS - 1)
        return since, until, data.get("country") or ""


def _percent(share: float) -> str:
    return f"{round(100 * share)} %"


def _form(view: ShopView, request: HttpRequest) -> AnalyticsForm:
    return AnalyticsForm(
        request.GET or None,
        today=timezone.localdate(),
        countries=analytics_countries(merchant=view.merchant),
    )


class AnalyticsView(ShopPage):
    template_name = "portal/analytics.html"
    section = "analytics"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        form = getattr(response, "context_data", {})["form"]
        if form.is_bound and not form.is_valid():
            response.status_code = 400  # the errors are shown, the defaults' figures below
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = _form(self, self.request)
        since, until, country = form.filters()
        names = labels.option_names(portal_options(merchant=self.merchant))
        options = analytics_options(
            merchant=self.merchant, since=since, until=until, country=country
        )
        weeks = analytics_weeks(merchant=self.merchant, since=since, until=until, country=country)
        per_week: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
        for week in weeks:
            per_week[week.week][0] += week.offered
            per_week[week.week][1] += week.chosen
            per_week[week.week][2] += week.confirmed
        week_rows = sorted(per_week.items())
        rows = [
            {
                "name": names.get(o.option_id, o.option_id),
                "figures": o,
                "carrier": labels.carrier(o.carrier) if o.carrier else "",
                "share": _percent(o.share),
                "average_fee": labels.money(o.average_fee, o.currency),
            }
            for o in options
        ]
        context.update(
            form=form,
            since=since,
            until=until,
            country=country,
            time_zone=self.merchant.time_zone,
            rows=rows,
            total_chosen=sum(o.chosen for o in options),
            total_confirmed=sum(o.confirmed for o in options),
            share_chart=bar_chart(
                [(names.get(o.option_id, o.option_id), o.chosen) for o in options]
            ),
            week_chart=column_chart(
                [(f"{week:%G-W%V}", n[1]) for week, n in week_rows], caption_every=2
            ),
            weeks=[(week, *n) for week, n in reversed(week_rows)],
            markets=[]
            if country
            else analytics_markets(merchant=self.merchant, since=since, until=until),
            csv_query=self.request.GET.urlencode(),
        )
        return context


def _fee(amount: int | None, currency: str, *, decimal_comma: bool) -> str:
    if amount is None:
        return ""
    decimals = minor_unit_exponent(currency)
    text = f"{Decimal(amount).scaleb(-decimals):.{decimals}f}"
    return text.replace(".", ",") if decimal_comma else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def analytics_csv(
    weeks: list[WeekFigures], *, names: dict[str, str], semicolons: bool
) -> Iterator[str]:
    """One row per week, market, currency and option; the share is of the week's choices."""
    writer = csv.writer(_Echo(), delimiter=";" if semicolons else ",")
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    chosen_per_week: dict[dt.date, int] = defaultdict(int)
    for week in weeks:
        chosen_per_week[week.week] += week.chosen
    for week in weeks:
        total = chosen_per_week[week.week]
        share = f"{week.chosen / total:.4f}" if total else "0"
        average = round(week.fee_sum / week.confirmed) if week.confirmed else None
        yield writer.writerow(
            [
                f"{week.week:%G-W%V}",
                week.country,
                week.currency,
                week.option_id,
                _cell(names.get(week.option_id, week.option_id)),
                week.offered,
                week.chosen,
                week.confirmed,
                share.replace(".", ",") if semicolons else share,
                _fee(average, week.currency, decimal_comma=semicolons),
            ]
        )


def _cell(text: str) -> str:
    """A shop's own option name is no formula for a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AnalyticsExportView(ShopView):
    """The page's weeks as CSV (";" and a decimal comma for a Nordic user, as the bookings)."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = _form(self, request)
        if form.is_bound and not form.is_valid():
            errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        since, until, country = form.filters()
        weeks = analytics_weeks(merchant=self.merchant, since=since, until=until, country=country)
        names = labels.option_names(portal_options(merchant=self.merchant))
        semicolons = uses_semicolons(
            language=translation.get_language(),
            accept_language=request.headers.get("accept-language", ""),
        )
        response = StreamingHttpResponse(
            analytics_csv(weeks, names=names, semicolons=semicolons),
            content_type="text/csv; charset=utf-8",
        )
        filename = f"analytics-{self.merchant.slug}-{since:%Y%m%d}-{until:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
