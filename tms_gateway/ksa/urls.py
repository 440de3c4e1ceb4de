from django.urls import path

from . import apis

app_name = "ksa"

urlpatterns = [
    path("auth", apis.AuthApi.as_view(), name="auth"),
    path("shippingoptions", apis.ShippingOptionsApi.as_view(), name="shippingoptions"),
    path("shipment", apis.ShipmentCreateApi.as_view(), name="shipment-create"),
    path("shipment/<str:shipment_id>", apis.ShipmentDetailApi.as_view(), name="shipment-detail"),
    path(
        "shipment/<str:shipment_id>/confirm",
        apis.ShipmentConfirmApi.as_view(),
        name="shipment-confirm",
    ),
]
