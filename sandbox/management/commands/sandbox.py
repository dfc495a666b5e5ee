"""``python manage.py sandbox [--port 9091] [--host 127.0.0.1] [--scenario NAME] [--verbose]``.

``python manage.py sandbox --list-entities`` prints what each simulated migration type serves
and does (its package's docstring) instead of serving.
"""

from __future__ import annotations

import inspect
import os
import sys
import textwrap
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox import entities, lifecycle, scenarios
from sandbox.config import ConfigError
from sandbox.engine import get_engine
from sandbox.entities.base import Entity
from sandbox.middleware import SandboxMiddleware
from sandbox.server import SandboxHTTPServer


class Command(BaseCommand):
    help = "Serve the sandbox stand-ins for HMPPS Auth and the NOMIS migration services."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "9091")))
        parser.add_argument("--host", default=os.environ.get("SANDBOX_HOST", "127.0.0.1"))
        parser.add_argument(
            "--scenario",
            default=os.environ.get("SANDBOX_SCENARIO", "default"),
            choices=scenarios.SCENARIOS,
        )
        parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
        parser.add_argument(
            "--list-entities",
            action="store_true",
            help="print what each simulated migration type serves and does, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list_entities"]:
            self.stdout.write("\n\n".join(describe(entity) for entity in entities.every()))
            return
        try:
            engine = get_engine()
            engine.reset(options["scenario"])
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        lifecycle.run(engine)
        app = SandboxMiddleware(WSGIHandler(), engine)
        try:
            server = SandboxHTTPServer(
                (options["host"], options["port"]), app, verbose=options["verbose"]
            )
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        host, port = str(server.server_address[0]), server.server_address[1]
        self.stdout.write(f"Sandbox ready on http://{host}:{port} (scenario {options['scenario']})")
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def describe(entity: Entity) -> str:
    """One entity's names and paths (from its attributes), then its package's docstring."""
    from sandbox.urls import entity_paths

    package = sys.modules[type(entity).__module__]
    facts = [
        f"{entity.migration_type} ({package.__name__.replace('.', '/')}/)",
        f"  queues: {entity.queue_name}, {entity.dlq_name}",
        f"  events: {entity.event_prefix}-migration-started ... -completed, {entity.dlq_event}",
        *(f"  after:  {needed}" for needed in entity.depends_on),
        *(f"  serves: {path}" for path in entity_paths(entity)),
    ]
    story = textwrap.indent(inspect.cleandoc(package.__doc__ or ""), "  ")
    return "\n".join(facts) + "\n\n" + story
