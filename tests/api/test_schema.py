"""/api/schema/ describes the callback API and the merchant API; /api/docs/ renders it from
local assets. The merchant API's own schema tests are in test_merchant_api.py."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.validation import validate_schema

PATHS = {
    "/ksa/v1/auth": {"post"},
    "/ksa/v1/shippingoptions": {"post"},
    "/ksa/v1/shipment": {"post"},
    "/ksa/v1/shipment/{shipment_id}": {"get", "put"},
    "/ksa/v1/shipment/{shipment_id}/confirm": {"post"},
    "/api/v1/orders/{klarna_order_id}/confirm": {"post"},
    "/api/v1/orders/{klarna_order_id}/shipment": {"get"},
    "/api/v1/shipments": {"get"},
}
STATUSES = {
    ("/ksa/v1/auth", "post"): {"201", "400", "401", "413"},
    ("/ksa/v1/shippingoptions", "post"): {"200", "400", "401", "413"},
    ("/ksa/v1/shipment", "post"): {"201", "400", "401", "409", "413"},
    ("/ksa/v1/shipment/{shipment_id}", "put"): {"200", "400", "401", "404", "409", "410", "413"},
    # A confirm books even an expired reservation: no 410 (f018f64).
    ("/ksa/v1/shipment/{shipment_id}/confirm", "post"): {"200", "202", "401", "404", "409"},
    ("/ksa/v1/shipment/{shipment_id}", "get"): {"200", "401", "404"},
}


def _schema(client: Client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_with_the_nine_operations(client: Client) -> None:
    schema = _schema(client)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {p: set(ops) - {"parameters"} for p, ops in schema["paths"].items()} == PATHS
    for (path, method), statuses in STATUSES.items():
        assert set(schema["paths"][path][method]["responses"]) == statuses, (path, method)


def test_schema_declares_bearer_auth_everywhere_but_auth(client: Client) -> None:
    """Klarna's JWT on the callback API; the merchant API has its own scheme (merchantToken)."""
    schema = _schema(client)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if path == "/ksa/v1/auth":
                assert op.get("security", []) in ([], [{}]), op.get("security")
            elif path.startswith("/api/v1/"):
                assert op["security"] == [{"merchantToken": []}], (path, method)
            else:
                assert op["security"] == [{"bearerAuth": []}], (path, method)


def test_schema_describes_bodies_media_types_and_errors(client: Client) -> None:
    schema = _schema(client)
    paths = schema["paths"]
    auth = paths["/ksa/v1/auth"]["post"]
    assert set(auth["requestBody"]["content"]) == {
        "application/json",
        "application/vdn.klarna.shipping.auth-v1+json",
    }
    assert "content" not in auth["responses"]["401"]
    put = paths["/ksa/v1/shipment/{shipment_id}"]["put"]
    assert "application/vdn.klarna.shipping.select_option-v1+json" in put["requestBody"]["content"]
    assert "Location" in put["responses"]["200"]["headers"]
    error = schema["components"]["schemas"]["KsaError"]
    assert set(error["properties"]) == {"failure_reason", "message"}
    assert "selected_shipping_option" in schema["components"]["schemas"]["KsaShipment"]["required"]
    assert "merchant API under `/api/v1/`" in schema["info"]["description"]


def test_schema_as_json(client: Client) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/ksa/v1/auth" in json.loads(response.content)["paths"]


def test_docs_page_uses_local_assets_only(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    hosts = set(re.findall(r"https?://([^/\"'\s]+)", html))
    assert not hosts, hosts


@pytest.mark.django_db
def test_spectacular_validate_has_no_warnings() -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
