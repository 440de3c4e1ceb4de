"""The portal's API tokens page: a shop's staff issue and revoke the bearer tokens of the
merchant API (``/api/v1/``) its own systems use.

A new token is shown once, on the answer to the POST that issued it (never stored, never
cached: ``Cache-Control: no-store``); afterwards only its prefix is shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.selectors import merchant_api_tokens
from merchants.services import (
    API_TOKEN_NAME_MAX_LENGTH,
    merchant_api_token_issue,
    merchant_api_token_revoke,
)
from tms_gateway.common.errors import ApplicationError, NotFound

from .views import ShopView

#: Placeholder of the curl example shown with a new token.
ORDER_ID_PLACEHOLDER = "KLARNA_ORDER_ID"


class ApiTokenIssueForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=API_TOKEN_NAME_MAX_LENGTH,
        help_text=gettext_lazy("What will use it, e.g. “order system”."),
    )


class ApiTokenListView(ShopView):
    template_name = "portal/api_tokens.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, form=ApiTokenIssueForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiTokenIssueForm(request.POST)
        if not form.is_valid():
            return self._render(request, form=form, status=400)
        try:
            api_token, token = merchant_api_token_issue(
                merchant=self.merchant, name=form.cleaned_data["name"], actor=request.user
            )
        except ApplicationError as exc:
            form.add_error("name", exc.message)
            return self._render(request, form=form, status=400)
        confirm_url = request.build_absolute_uri(
            reverse("api:order-confirm", kwargs={"klarna_order_id": ORDER_ID_PLACEHOLDER})
        )
        response = self._render(
            request,
            form=ApiTokenIssueForm(),
            issued={"token": api_token, "secret": token, "confirm_url": confirm_url},
        )
        response["Cache-Control"] = "no-store"
        return response

    def _render(self, request: HttpRequest, *, status: int = 200, **context: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            self.template_name,
            {
                "merchant": self.merchant,
                "section": "api_tokens",
                "tokens": list(merchant_api_tokens(merchant=self.merchant)),
                "order_id_placeholder": ORDER_ID_PLACEHOLDER,
                **context,
            },
            status=status,
        )


class ApiTokenRevokeView(ShopView):
    def post(self, request: HttpRequest, token_id: int) -> HttpResponse:
        try:
            api_token = merchant_api_token_revoke(
                merchant=self.merchant, token_id=token_id, actor=request.user
            )
        except NotFound as exc:
            raise Http404 from exc
        messages.success(
            request,
            _("The token %(name)s (%(prefix)s…) is revoked: calls with it are refused.")
            % {"name": api_token.name, "prefix": api_token.prefix},
        )
        return HttpResponseRedirect(reverse("portal:api_tokens"))
