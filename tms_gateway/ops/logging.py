"""Structured logs: request ids on every record, secrets redacted, JSON or plain lines.

``LOGGING`` (tms_gateway/settings/observability.py) builds the ``redact`` filter through
:func:`redacting_filter`, which also installs a log record factory: every record of every logger
is redacted (message, arguments, exception text) and stamped with the request id when it is
created, so every handler — the console, pytest's caplog, an error tracker — sees the same
clean record.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import traceback
from contextvars import ContextVar
from typing import Any

import pythonjsonlogger.json

from tms_gateway.common.secrets import secrets_known

REDACTED = "[redacted]"

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{4,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){0,2}")
_LABELLED = re.compile(
    r"(?i)((?:authorization|proxy-authorization|api[_-]?key|apikey|x-api-key|client[_-]?key"
    r"|client[_-]?secret|access[_-]?token|refresh[_-]?token|password|passwd|secret|token"
    r"|signing[_-]?key|digest)[\"']?\s*[:=]\s*[\"']?)(?!\[redacted\])([^\"'&\s,;}\]]+)"
)


def redact(text: str) -> str:
    # Credential values seen by this process (carrier agreements), wherever they appear.
    for secret in secrets_known():
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _LABELLED.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "_ops_clean"}
)
# python-json-logger's (LogRecord's) names → the names our JSON lines have always used.
_JSON_NAMES = {
    "asctime": "time",
    "levelname": "level",
    "name": "logger",
    "exc_info": "exception",
    "stack_info": "stack",
}


def clean_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place (once): message with its args, exception text, extra fields."""
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRS and isinstance(value, str):
            setattr(record, key, redact(value))
    if not hasattr(record, "request_id"):
        record.request_id = request_id_var.get()
    if getattr(record, "_ops_clean", False):
        return record
    try:
        message = record.getMessage()
    except Exception:
        message = f"{record.msg} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
        # Formatters format exc_info again unless it is gone; the text above is what they show.
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._ops_clean = True
    return record


class RedactingFilter(logging.Filter):
    """Redacts every record passing a handler (extra fields included) and stamps its id."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean_record(record)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


_factory_lock = threading.Lock()
_installed = False


def install_record_factory() -> None:
    """Redact every record at creation, whichever handler later receives it (idempotent).

    Extra fields are set after the factory returns, so handlers still apply the filter."""
    global _installed
    with _factory_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                return clean_record(record)
            except Exception:  # logging must never fail because of redaction
                return record

        logging.setLogRecordFactory(factory)
        _installed = True


def redacting_filter() -> RedactingFilter:
    """The ``()`` factory of LOGGING's ``redact`` filter; installs the record factory too."""
    install_record_factory()
    return RedactingFilter()


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id, extra fields, then
    ``exception`` and ``stack`` when the record has them (python-json-logger, our names)."""

    def __init__(self) -> None:
        super().__init__(
            ["asctime", "levelname", "name", "message", "request_id"],
            rename_fields=_JSON_NAMES,
            reserved_attrs=[*_STANDARD_ATTRS, *_JSON_NAMES.values()],
            json_default=str,
            json_ensure_ascii=False,
        )

    def format(self, record: logging.LogRecord) -> str:
        clean_record(record)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
            timespec="milliseconds"
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value if isinstance(value, str | int | float | bool | None) else redact(str(value))
            for key, value in log_data.items()
        }
