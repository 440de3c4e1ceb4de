"""Pages of the merchant portal.

Every page but sign-in and password reset is a ``ShopView``: it needs a signed-in user with a
shop membership (others are sent to sign in, or get 403 when they have no shop, like partner
staff), and reads only through ``selectors`` with that shop as ``merchant=``. Another shop's
booking or label is 404, the same as an unknown one.

A booking that needs attention (its reservation expired without a confirm, but the order may
have been paid) is confirmed or dismissed by the shop with a POST to its own view; both call the
shipment services and come back to the booking's page with a message saying what happened.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import SimpleTemplateResponse, TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from merchants.models import Merchant
from merchants.preview import MARKETS, PreviewForm, preview_context
from tms_gateway.checkout.services import merchant_currencies
from tms_gateway.common.errors import ApplicationError
from tms_gateway.common.middleware import client_address
from tms_gateway.ksa.serializers import order_shipping_options_render
from tms_gateway.ops import metrics
from tms_gateway.shipments.models import ConfirmSource, Shipment
from tms_gateway.shipments.selectors import shipment_get, shipments_needing_attention_count
from tms_gateway.shipments.services import (
    ATTENTION_CHECKING,
    ATTENTION_NO_CONFIRM,
    CONFIRMED_OR_LATER,
    shipment_attention_dismiss,
    shipment_confirm_outcome,
)

from . import labels
from .booking_state import booking_actions, history_rows
from .charts import bar_chart, column_chart
from .exports import XLSX_CONTENT_TYPE, bookings_csv, bookings_xlsx, recipient_name, uses_semicolons
from .fallback import fallback_options_build
from .forms import (
    AttentionConfirmForm,
    BookingFilterForm,
    DashboardRangeForm,
    FallbackForm,
    ShopAuthenticationForm,
    ShopPasswordResetForm,
)
from .pagination import CappedPaginator
from .selectors import (
    merchant_user_get,
    portal_booking_get,
    portal_bookings,
    portal_dashboard,
    portal_has_bookings,
    portal_label_get,
    portal_options,
)
from .throttle import (
    login_failure_record,
    login_is_throttled,
    login_success_record,
    login_throttled_response,
    password_reset_address_allowed,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
LABEL_CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "text/plain", "png": "image/png"}

#: Who confirmed an order, as the shop reads it (the model's labels are not translated).
CONFIRMED_BY: dict[str, Promise] = {
    ConfirmSource.KLARNA: gettext_lazy("Klarna's confirm"),
    ConfirmSource.SHOP: gettext_lazy("Your order flow (merchant API)"),
    ConfirmSource.CHECKOUT_API: gettext_lazy("Klarna's checkout order, read by the gateway"),
    ConfirmSource.STAFF: gettext_lazy("By hand"),
}
#: Why a booking needs attention, translated; a reason not listed is shown as stored.
ATTENTION_REASONS: dict[str, Promise] = {
    ATTENTION_NO_CONFIRM: gettext_lazy(
        "Expired without a confirm from Klarna or the shop: the order may have been paid. "
        "Confirm it by hand if it was, or dismiss this."
    ),
    ATTENTION_CHECKING: gettext_lazy(
        "Expired without a confirm from Klarna or the shop; the gateway is reading the order "
        "from Klarna's checkout API."
    ),
}

# --- sign-in, sign-out, password reset ------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's sign-in (not for users of a deactivated shop), refused with 429 once the
    account or the address is throttled (throttle.py: every spelling of a name that reaches
    one account counts against that account)."""

    form_class = ShopAuthenticationForm
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))
        if login_is_throttled(scope="portal", username=username, address=client_address(request)):
            return login_throttled_response(
                request, scope="portal", template_name="portal/login_throttled.html"
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        login_success_record(scope="portal", username=str(self.request.POST.get("username", "")))
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        login_failure_record(
            scope="portal",
            username=str(self.request.POST.get("username", "")),
            address=client_address(self.request),
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule since 5.0): a link or an image cannot sign anyone out."""


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by mail, limited (throttle.py): beyond ``PORTAL_PASSWORD_RESET_PER_ADDRESS``
    requests from one address (here) or ``PORTAL_PASSWORD_RESET_PER_ACCOUNT`` mails to one
    account (the form) in the window, the answer is the same "sent" page but no mail goes out,
    so it tells no one whether an address is known or the limit reached."""

    form_class = ShopPasswordResetForm
    template_name = "portal/password_reset_form.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        address = client_address(self.request)
        if not password_reset_address_allowed(address=address):
            logger.warning("portal password reset from %s not mailed: too many requests", address)
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


# --- the shop's pages -----------------------------------------------------------------------


class ShopView(View):
    """A page of one shop: the signed-in user's membership decides which. A shop deactivated
    by partner staff is checked on every request: its users' open sessions end there."""

    merchant: Merchant

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = merchant_user_get(user=request.user)
        if membership is None:
            return TemplateResponse(request, "portal/forbidden.html", status=403)
        if not membership.merchant.is_active:
            logout(request)
            return TemplateResponse(request, "portal/shop_inactive.html", status=403)
        self.merchant = membership.merchant
        # Times, dates and day boundaries are the shop's: rendered here, inside its zone.
        with timezone.override(self.merchant.zone):
            response = super().dispatch(request, *args, **kwargs)
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
        return response


class ShopPage(ShopView, TemplateView):
    section = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(merchant=self.merchant, section=self.section)
        return context


def _booking_row(shipment: Shipment, *, option_names: dict[str, str]) -> dict[str, Any]:
    """A shipment as the lists show it. The option is named in the portal's language from the
    shop's configuration; ``shopper_option`` is the name the shopper saw (in theirs)."""
    chosen = shipment.snapshot
    code = chosen.option_id
    shopper_option = chosen.name or code
    return {
        "shipment": shipment,
        "recipient": recipient_name(shipment.recipient or {}),
        "option": option_names.get(code) or shopper_option,
        "shopper_option": shopper_option,
        "carrier": labels.carrier(chosen.carrier),
        "status": labels.label(labels.STATUS, shipment.status),
        "attention": shipment.needs_attention,
    }


class BookingListView(ShopPage):
    template_name = "portal/bookings.html"
    section = "bookings"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        options = portal_options(merchant=self.merchant)
        form = BookingFilterForm(self.request.GET or None, options=options)
        shipments = portal_bookings(merchant=self.merchant, filters=form.filters())
        # Counted up to COUNT_CAP rows only: a broad search of a big shop stays fast.
        paginator = CappedPaginator(shipments, PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        names = labels.option_names(options)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=form,
            # A shop with no bookings at all is told what will come, not that nothing matches.
            shop_is_new=not page.object_list and not portal_has_bookings(merchant=self.merchant),
            time_zone=self.merchant.time_zone,
            page_obj=page,
            count_cap=number_format(paginator.cap, force_grouping=True),
            rows=[_booking_row(s, option_names=names) for s in page.object_list],
            query=query.urlencode(),
            attention_count=shipments_needing_attention_count(merchant=self.merchant),
        )
        return context


class BookingExportView(ShopView):
    """The filtered list as CSV (exports.py): ";" and a decimal comma for a Nordic user."""

    def shipments(self, request: HttpRequest) -> QuerySet[Shipment]:
        form = BookingFilterForm(
            request.GET or None, options=portal_options(merchant=self.merchant)
        )
        return portal_bookings(merchant=self.merchant, filters=form.filters())

    def filename(self, extension: str) -> str:
        return f"bookings-{self.merchant.slug}-{timezone.localtime():%Y%m%d-%H%M}.{extension}"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        semicolons = uses_semicolons(
            language=translation.get_language(),
            accept_language=request.headers.get("accept-language", ""),
        )
        response = StreamingHttpResponse(
            bookings_csv(self.shipments(request), zone=self.merchant.zone, semicolons=semicolons),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{self.filename("csv")}"'
        response["Cache-Control"] = "private, no-store"
        return response


class BookingExcelExportView(BookingExportView):
    """The filtered list as an Excel workbook (exports.py): text stays text, times are local."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        response = StreamingHttpResponse(
            bookings_xlsx(self.shipments(request), zone=self.merchant.zone),
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = f'attachment; filename="{self.filename("xlsx")}"'
        response["Cache-Control"] = "private, no-store"
        return response


class BookingDetailView(ShopPage):
    template_name = "portal/booking_detail.html"
    section = "bookings"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shipment = portal_booking_get(merchant=self.merchant, public_id=kwargs["public_id"])
        if shipment is None:
            raise Http404
        selection = shipment.snapshot
        location = selection.location
        timeslot = selection.timeslot
        options = portal_options(merchant=self.merchant)
        chosen = next((o for o in options if o.code == selection.option_id), None)
        addon_names = (
            {addon.code: labels.localized(addon.names) for addon in chosen.addons.all()}
            if chosen is not None
            else {}
        )
        context.update(
            shipment=shipment,
            row=_booking_row(shipment, option_names=labels.option_names(options)),
            selection=selection,
            kind=labels.label(labels.KIND, selection.kind),
            location=location,
            location_address=_address_lines(asdict(location.address)) if location else [],
            timeslot=labels.local_time_range(timeslot.start, timeslot.end) if timeslot else "",
            addons=[
                {
                    "name": addon_names.get(a.id, "") or labels.label(labels.ADDON_TYPE, a.type),
                    "id": a.id,
                    "text": a.text,
                    "price": labels.money(a.price, shipment.currency),
                }
                for a in selection.addons
            ],
            option_price=labels.money(selection.option_price, shipment.currency),
            price=labels.money(shipment.price, shipment.currency),
            tax_rate=labels.percent(shipment.tax_rate),
            recipient_address=_address_lines(shipment.recipient or {}),
            events=history_rows(shipment),
            actions=booking_actions(shipment),
            tracking_events=list(shipment.tracking_events.all()),
            tracking_url=_safe_url(shipment.tracking_url),
            labels=list(shipment.labels.all()),
            confirmed_by=labels.label(CONFIRMED_BY, shipment.confirmed_by),
            attention_reason=labels.label(ATTENTION_REASONS, shipment.attention_reason),
            confirm_form=AttentionConfirmForm(),
        )
        return context


class BookingAttentionView(ShopView):
    """A POST about a booking of this shop that needs attention (another shop's: 404); back to
    the booking's page with a message. A booking that no longer needs attention is left as it
    is, and the message says so."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        shipment = shipment_get(merchant=self.merchant, shipment_id=str(public_id))
        if shipment is None:
            raise Http404
        self.act(request, shipment)
        return HttpResponseRedirect(
            reverse("portal:booking", kwargs={"public_id": shipment.public_id})
        )

    def act(self, request: HttpRequest, shipment: Shipment) -> None:
        raise NotImplementedError

    def actor(self, request: HttpRequest) -> str:
        # ShipmentEvent.actor holds 100 characters; a username may have 150.
        return f"{request.user.get_username()[:90]} (portal)"


class BookingConfirmView(BookingAttentionView):
    """The order was paid: confirm it by hand, which queues the booking with the carrier."""

    def act(self, request: HttpRequest, shipment: Shipment) -> None:
        form = AttentionConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                _("Nothing was changed: %(errors)s")
                % {"errors": " ".join(str(e) for errors in form.errors.values() for e in errors)},
            )
            return
        if shipment.status in CONFIRMED_OR_LATER:
            # Idempotent: the service changes nothing (but keeps a reference if none was).
            outcome = shipment_confirm_outcome(
                merchant=self.merchant,
                shipment=shipment,
                source=ConfirmSource.STAFF,
                actor=self.actor(request),
                merchant_reference=form.cleaned_data["merchant_reference"],
            )
            metrics.shipment_confirm_observe(outcome)
            shipment = outcome.shipment
            messages.info(
                request,
                _("This booking no longer needs attention: it was already confirmed (%(by)s).")
                % {"by": labels.label(CONFIRMED_BY, shipment.confirmed_by)},
            )
            return
        if not shipment.needs_attention:
            messages.info(request, _("This booking does not need attention; nothing was changed."))
            return
        try:
            outcome = shipment_confirm_outcome(
                merchant=self.merchant,
                shipment=shipment,
                source=ConfirmSource.STAFF,
                actor=self.actor(request),
                merchant_reference=form.cleaned_data["merchant_reference"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return
        metrics.shipment_confirm_observe(outcome)
        messages.success(
            request,
            _(
                "Confirmed by hand: the booking with the carrier is queued; its progress "
                "shows below."
            ),
        )


class BookingDismissView(BookingAttentionView):
    """The order was not paid: the booking stops needing attention and stays expired."""

    def act(self, request: HttpRequest, shipment: Shipment) -> None:
        if not shipment.needs_attention:
            messages.info(request, _("This booking does not need attention; nothing was changed."))
            return
        shipment_attention_dismiss(
            merchant=self.merchant, shipment=shipment, actor=self.actor(request)
        )
        messages.success(
            request, _("Dismissed: the order was not paid, so nothing will be booked.")
        )


def _address_lines(address: dict[str, Any]) -> list[str]:
    street = [address.get("street_address"), address.get("street_address2")]
    town = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    return [p for p in (*street, town, address.get("country")) if p]


def _safe_url(url: str) -> str:
    """Only web addresses become links (a stored ``javascript:`` must not)."""
    return url if url.startswith(("https://", "http://")) else ""


class BookingLabelView(ShopView):
    def get(self, request: HttpRequest, label_id: int) -> HttpResponse:
        label = portal_label_get(merchant=self.merchant, label_id=label_id)
        if label is None:
            raise Http404
        content = bytes(label.content or b"")
        if content:
            fmt = (label.format or "pdf").lower()
            response = HttpResponse(
                content, content_type=LABEL_CONTENT_TYPES.get(fmt, "application/octet-stream")
            )
            filename = (
                f"label-{label.shipment.public_id}-{label.pk}.{fmt if fmt.isalnum() else 'bin'}"
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            response["Cache-Control"] = "private, no-store"
            return response
        url = _safe_url(label.url)
        if url:
            return HttpResponseRedirect(url)
        raise Http404


class DashboardView(ShopPage):
    template_name = "portal/dashboard.html"
    section = "dashboard"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = DashboardRangeForm(self.request.GET or None, today=timezone.localdate())
        since, until = form.range()
        data = portal_dashboard(merchant=self.merchant, today=until, days=(until - since).days + 1)
        names = labels.option_names(portal_options(merchant=self.merchant))
        carriers = [(labels.carrier(c), n) for c, n in data.per_carrier]
        options = [(names.get(code, code), code, n) for code, n in data.per_option]
        context.update(
            form=form,
            time_zone=self.merchant.time_zone,
            data=data,
            days=[(day, n) for day, n in reversed(data.per_day)],
            day_chart=column_chart([(f"{day:%m-%d}", n) for day, n in data.per_day]),
            carriers=[(name, n, _share(n, data.total)) for name, n in carriers],
            carrier_chart=bar_chart(carriers),
            options=[(name, code, n, _share(n, data.total)) for name, code, n in options],
            option_chart=bar_chart([(name, n) for name, _code, n in options]),
            failed=[_booking_row(s, option_names=names) for s in data.failed],
            attention_count=shipments_needing_attention_count(merchant=self.merchant),
        )
        return context


def _share(part: int, total: int) -> str:
    return f"{round(100 * part / total)} %" if total else "0 %"


class FallbackView(ShopPage):
    template_name = "portal/fallback.html"
    section = "fallback"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        options = [o for o in portal_options(merchant=self.merchant) if o.is_active]
        currencies = sorted(merchant_currencies(options=options))
        form = FallbackForm(
            self.request.GET or None,
            currencies=currencies,
            initial=_fallback_initial(self.merchant, currencies),
        )
        fallback_json = None
        offered_count = 0
        error = ""
        postal_code_limited: list[str] = []
        if form.is_bound and form.is_valid():
            try:
                result = fallback_options_build(merchant=self.merchant, **form.cleaned_data)
            except ApplicationError as exc:
                error = exc.message
            else:
                fallback_json = json.dumps(
                    order_shipping_options_render(result), indent=2, ensure_ascii=False
                )
                offered = {o.id for o in result.options}
                offered_count = len(offered)
                postal_code_limited = [
                    labels.localized(o.names, fallback=o.code)
                    for o in options
                    if o.code in offered and o.postal_codes
                ]
        context.update(
            form=form,
            fallback_json=fallback_json,
            offered_count=offered_count,
            error=error,
            postal_code_limited=postal_code_limited,
        )
        return context


def _fallback_initial(merchant: Merchant, currencies: list[str]) -> dict[str, str]:
    """The shop's home market (its sender country), as the checkout preview knows markets."""
    country = merchant.sender_country or "SE"
    currency, locale = MARKETS.get(country, ("EUR", "en-GB"))
    if currency not in currencies:
        currency = next(iter(currencies), "")
    return {"country": country, "currency": currency, "locale": locale}


class PreviewView(ShopPage):
    """The shared checkout preview (merchants.preview) for this shop. The form is POSTed:
    a filled-in preview asks the carriers, which a link or a crawler should not do."""

    template_name = "portal/preview.html"
    section = "preview"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PreviewForm(self.request.POST if self.request.method == "POST" else None)
        context.update(preview_context(merchant=self.merchant, form=form))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(**kwargs))
