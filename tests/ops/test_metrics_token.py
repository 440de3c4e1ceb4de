"""/metrics is not public in production (security review, issue 13, item 7): it answers only the
bearer of METRICS_TOKEN, and 404 when production has no token."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

TOKEN = "mT4kR9vQ2wZ7xB1nH8jL3pF6sD0gYaCe"
#: What production.py sets (DEBUG off, METRICS_REQUIRE_TOKEN forced on).
PRODUCTION_LIKE = {"DEBUG": False, "METRICS_REQUIRE_TOKEN": True}


@override_settings(**PRODUCTION_LIKE, METRICS_TOKEN="")
def test_production_without_a_token_has_no_metrics(client: Client) -> None:
    response = client.get("/metrics")

    assert response.status_code == 404
    assert b"tms_" not in response.content


@override_settings(**PRODUCTION_LIKE, METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token-wrong-token-wrong-tok",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_metrics_without_the_right_token_are_refused(
    client: Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 403
    assert response.content == b"Forbidden\n"


@override_settings(**PRODUCTION_LIKE, METRICS_TOKEN=TOKEN)
def test_metrics_with_the_right_token(client: Client) -> None:
    client.get("/healthz")

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"tms_http_request_duration_seconds_count" in response.content


@override_settings(METRICS_TOKEN=TOKEN, METRICS_REQUIRE_TOKEN=False)
def test_a_token_set_anywhere_is_required(client: Client) -> None:
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


@override_settings(METRICS_TOKEN="", METRICS_REQUIRE_TOKEN=False)
def test_development_without_a_token_keeps_metrics_open(client: Client) -> None:
    assert client.get("/metrics").status_code == 200
