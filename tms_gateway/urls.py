from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("ksa/v1/", include("tms_gateway.ksa.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("merchants.portal.urls")),
    path("", include("tms_gateway.ops.urls")),
    path("api/", include("tms_gateway.api.urls")),
]
