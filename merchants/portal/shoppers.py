"""The portal's "Forget a shopper" page (under Settings): the shop erases one shopper's
remembered choices for a data-subject request. Only its own: the hashes are the shop's, so
another shop's shoppers are out of reach whatever is typed. Audited with the shop's user as the
actor, never with the e-mail or number."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext

from tms_gateway.shoppers.forms import ShopperForgetForm
from tms_gateway.shoppers.services import shopper_forget

from .views import ShopView


class ShopperForgetView(ShopView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        forgotten = shopper_forget(
            merchant=self.merchant,
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            country=form.cleaned_data["country"],
            actor=request.user,
        )
        messages.success(
            request,
            ngettext(
                "Forgot %(count)d remembered choice of this shopper.",
                "Forgot %(count)d remembered choices of this shopper.",
                forgotten,
            )
            % {"count": forgotten},
        )
        return HttpResponseRedirect(reverse("portal:shopper_forget"))

    def _form(self, data: object = None) -> ShopperForgetForm:
        return ShopperForgetForm(
            data,
            initial={"country": self.merchant.sender_country or "SE"},
        )

    def _render(
        self, request: HttpRequest, form: ShopperForgetForm, status: int = 200
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "portal/shopper_forget.html",
            {"merchant": self.merchant, "section": "settings", "form": form},
            status=status,
        )
