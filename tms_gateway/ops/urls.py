from django.urls import path

from tms_gateway.common.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
]
