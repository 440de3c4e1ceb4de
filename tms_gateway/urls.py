from django.contrib import admin
from django.urls import include, path

from tms_gateway.shipments.webhooks import carrier_webhook

urlpatterns = [
    path("ksa/v1/", include("tms_gateway.ksa.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("merchants.portal.urls")),
    path("", include("tms_gateway.ops.urls")),
    path("api/", include("tms_gateway.api.urls")),
    path("webhooks/<slug:carrier>/<str:token>", carrier_webhook, name="carrier_webhook"),
]
