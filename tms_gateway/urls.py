from django.contrib import admin
from django.urls import include, path

from tms_gateway.common.views import healthz

urlpatterns = [
    path("ksa/v1/", include("tms_gateway.ksa.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("merchants.portal.urls")),
    path("healthz", healthz, name="healthz"),
]
