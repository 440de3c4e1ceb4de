from django.contrib import admin
from django.urls import include, path

from merchants.admin_security import admin_login
from tms_gateway.shipments.webhooks import carrier_webhook

urlpatterns = [
    path("ksa/v1/", include("tms_gateway.ksa.urls")),
    # Before the admin's own login: the same view behind the sign-in throttle.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("portal/", include("merchants.portal.urls")),
    path("", include("tms_gateway.ops.urls")),
    path("api/", include("tms_gateway.api.urls")),
    path("webhooks/<slug:carrier>/<str:token>", carrier_webhook, name="carrier_webhook"),
]
