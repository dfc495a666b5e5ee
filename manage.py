#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    # The sandbox is a separate program that happens to share this repository: it runs from its own
    # settings and URL configuration so the dashboard's settings never include it.
    if sys.argv[1:2] == ["sandbox"]:
        os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomis_sync.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
