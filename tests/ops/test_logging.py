"""Request ids, JSON log lines, and no secret in any log line."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from merchants.demo import demo_merchant_seed
from merchants.models import KlarnaCredential
from tests.conftest import Sandbox
from tests.ksa.conftest import Klarna, Shop
from tms_gateway.ops.logging import JsonFormatter, redact, request_id_var

pytestmark = pytest.mark.django_db


def test_request_id_is_echoed_when_sane(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123.X_y")

    assert response["X-Request-ID"] == "abc-123.X_y"


@pytest.mark.parametrize("sent", [None, "", "x" * 65, "bad id", "a/b", "é"])
def test_request_id_is_generated_otherwise(client: Client, sent: str | None) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    response = client.get("/healthz", headers=headers)

    generated = response["X-Request-ID"]
    assert generated != sent
    assert len(generated) == 32
    assert client.get("/healthz")["X-Request-ID"] != generated


def test_log_records_of_a_request_carry_its_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/no-such-page", HTTP_X_REQUEST_ID="req-42")

    assert caplog.records
    assert {getattr(r, "request_id", None) for r in caplog.records} == {"req-42"}
    assert request_id_var.get() == "-"


def test_json_formatter_writes_one_parsable_object() -> None:
    logger = logging.getLogger("tests.ops.json")
    record = logger.makeRecord(
        logger.name,
        logging.WARNING,
        __file__,
        1,
        "carrier %s said %r",
        ("postnord", "Bearer abc.def.ghi"),
        None,
        extra={"carrier": "postnord", "attempt": 2},
    )
    token = request_id_var.set("rid-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)

    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING"
    assert data["logger"] == "tests.ops.json"
    assert data["message"] == "carrier postnord said 'Bearer [redacted]'"
    assert data["carrier"] == "postnord"
    assert data["attempt"] == 2
    assert data["time"].endswith("+00:00")
    assert "request_id" in data


def test_json_formatter_keeps_exceptions_redacted() -> None:
    logger = logging.getLogger("tests.ops.json")
    try:
        raise ValueError("refused: apikey=very-secret-value")
    except ValueError:
        import sys

        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    data = json.loads(JsonFormatter().format(record))

    assert "very-secret-value" not in data["exception"]
    assert "ValueError" in data["exception"]


def test_json_formatter_names_its_fields_and_redacts_structured_extras() -> None:
    logger = logging.getLogger("tests.ops.json")
    record = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        1,
        "sent",
        (),
        None,
        extra={"body": {"apikey": "very-secret-value"}, "level": "not ours", "_private": 1},
        sinfo="Stack (most recent call last):\n  password=very-secret-value",
    )
    data = json.loads(JsonFormatter().format(record))

    assert list(data) == ["time", "level", "logger", "message", "request_id", "stack", "body"]
    assert data["level"] == "INFO"
    assert "very-secret-value" not in data["body"] + data["stack"]


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer s3cr3t-token-value",
        '{"Authorization": "Basic dXNlcjpwYXNz"}',
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "GET /x?apikey=s3cr3t-token-value&q=1",
        '{"client_secret": "s3cr3t-token-value"}',
    ],
)
def test_redact_removes_tokens_and_labelled_keys(text: str) -> None:
    cleaned = redact(text)
    for secret in ("s3cr3t-token-value", "dXNlcjpwYXNz", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in cleaned


LEAKED_KEY = "pn-LEAKY-key-0123456789"


class _LeakyCarrier(BaseHTTPRequestHandler):
    """A carrier that refuses every call and echoes the caller's key in its error text."""

    def do_GET(self) -> None:
        self._refuse()

    def do_POST(self) -> None:
        self._refuse()

    def _refuse(self) -> None:
        body = json.dumps(
            {
                "message": f"API key {LEAKED_KEY} is not subscribed to this API",
                "compositeFault": {"faults": [{"explanationText": f"apikey={LEAKED_KEY}"}]},
            }
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def leaky_carrier() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LeakyCarrier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_no_secret_in_any_log_line(
    client: Client,
    sandbox: Sandbox,
    settings: Any,
    leaky_carrier: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.CARRIER_SANDBOX_URL = sandbox.server.url
    merchant = demo_merchant_seed(identifier="demo", key="demo-key")
    postnord = merchant.agreements.get(carrier="postnord")
    postnord.api_base_url = leaky_carrier
    postnord.credentials = {"api_key": LEAKED_KEY}
    postnord.save()
    credentials: list[str] = [LEAKED_KEY]
    for agreement in merchant.agreements.all():
        credentials += [str(v) for v in agreement.credentials.values() if len(str(v)) >= 6]
    caplog.set_level(logging.DEBUG)

    credential = KlarnaCredential.objects.get(identifier="demo")
    klarna = Klarna(client, Shop(merchant=merchant, credential=credential, key="demo-key")).login()
    options = klarna.options(
        {
            "currency": "SEK",
            "locale": "sv-SE",
            "recipient": {"country": "SE", "postal_code": "11151", "street_address": "Gatan 1"},
        }
    )
    assert options
    client.post(
        "/ksa/v1/shippingoptions",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer not-a-valid-token-1234",
    )
    logging.getLogger("tests.ops").info(
        "Klarna sent %s", {"Authorization": f"Bearer {klarna.token}"}
    )

    text = "\n".join(
        [caplog.text]
        + [r.getMessage() for r in caplog.records]
        + [str(vars(r)) for r in caplog.records]
    )
    assert "postnord" in caplog.text  # the failing carrier was logged, without its key
    assert "[redacted]" in caplog.text
    for secret in [LEAKED_KEY, klarna.token, "demo-key", "not-a-valid-token-1234", *credentials]:
        assert secret not in text, secret
