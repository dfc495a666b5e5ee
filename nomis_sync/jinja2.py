"""The Jinja2 environment for app pages: our templates first, then the GOV.UK Frontend macros."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from nomis_sync import formatting


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    """`reverse()` for templates: `url('home')`, `url('visits:details', migration_id)`."""
    return reverse(viewname, args=args or None, kwargs=kwargs or None)


def environment(**options: Any) -> Environment:
    # The GOV.UK macros import each other as "govuk_frontend_jinja/...", so they are mounted under
    # that prefix rather than merged with our own templates.
    options["loader"] = ChoiceLoader(
        [
            FileSystemLoader([str(d) for d in settings.TEMPLATES[0]["DIRS"]]),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = Environment(**options)  # noqa: S701 - the Django backend passes autoescape=True
    env.globals.update(
        {
            "static": static,
            "url": url,
            "service_name": settings.SERVICE_NAME,
        }
    )
    env.filters.update(
        {
            "thousands": formatting.thousands,
            "datetime_display": formatting.datetime_display,
        }
    )
    return env
