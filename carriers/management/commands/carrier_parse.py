"""Parse a saved carrier response with the adapter's own parser; print the normalised result.

Support staff use it to answer "why was this pickup point not shown?" from a response body
copied out of a carrier trace:

    python manage.py carrier_parse postnord service_points response.json
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carriers.base import PARSE_OPERATIONS
from carriers.registry import UnknownCarrier, adapters, get_adapter


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


class Command(BaseCommand):
    help = "Parse a saved carrier response with the adapter's parser and print it as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("carrier", help="a configured carrier's slug (e.g. postnord)")
        parser.add_argument("operation", choices=PARSE_OPERATIONS)
        parser.add_argument("file", help="the saved response body ('-' reads standard input)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            adapter = get_adapter(options["carrier"])
        except UnknownCarrier:
            known = ", ".join(adapters()) or "none"
            raise CommandError(
                f"unknown carrier {options['carrier']!r} (configured: {known})"
            ) from None
        operation = options["operation"]
        parse = adapter.parsers.get(operation)
        if parse is None:
            known = ", ".join(sorted(adapter.parsers)) or "none"
            raise CommandError(f"{adapter.slug} has no {operation} parser (it has: {known})")
        path = options["file"]
        try:
            body = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            parsed = parse(body)
        except Exception as exc:
            raise CommandError(f"{adapter.slug} {operation}: cannot parse {path}: {exc}") from exc
        self.stdout.write(json.dumps(to_jsonable(parsed), indent=2, ensure_ascii=False))
