"""`manage.py healthcheck [--json]`: the /health checks from the command line (exit 1 if down)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from kernel.health import run_health_checks


class Command(BaseCommand):
    help = "Check the database, Redis and every configured upstream; exit 1 if any is down."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the /health JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_health_checks()
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            for name, component in result["components"].items():
                line = f"{name:<20} {component['status']:<5} {json.dumps(component['details'])}"
                style = self.style.SUCCESS if component["status"] == "UP" else self.style.ERROR
                self.stdout.write(style(line))
            self.stdout.write(f"Overall: {result['status']}")
        if result["status"] != "UP":
            sys.exit(1)
