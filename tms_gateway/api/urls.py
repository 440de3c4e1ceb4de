"""The merchant API (``v1/``, see apis.py) and the API description: the OpenAPI schema and its
Swagger UI (assets served locally)."""

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import apis

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's set-up script from ?script and its styles from a file, none inline (CSP).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path(
        "v1/orders/<str:klarna_order_id>/confirm",
        apis.OrderConfirmApi.as_view(),
        name="order-confirm",
    ),
    path(
        "v1/orders/<str:klarna_order_id>/shipment",
        apis.OrderShipmentApi.as_view(),
        name="order-shipment",
    ),
    path("v1/shipments", apis.ShipmentListApi.as_view(), name="shipments"),
]
