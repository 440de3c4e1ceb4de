"""Serve the carrier sandbox: the five carriers' APIs, locally, with fault injection."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carriers.sandbox.server import SANDBOXES, SandboxServer


class Command(BaseCommand):
    help = "Serve the carrier sandbox (PostNord, Budbee, Instabox, DHL, Bring) over HTTP."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8090)

    def handle(self, *args: Any, **options: Any) -> None:
        server = SandboxServer(options["host"], options["port"])
        self.stdout.write(f"Carrier sandbox on {server.url}")
        for slug in sorted(SANDBOXES):
            self.stdout.write(f"  {slug:9} {server.url}/{slug}")
        self.stdout.write(f"  control   {server.url}/_sandbox/stats, /_sandbox/faults")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
