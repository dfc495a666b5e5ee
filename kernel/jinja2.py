"""The Jinja2 environment for app pages: our templates first, then the GOV.UK Frontend macros."""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template import engines
from django.template.backends.utils import csrf_input
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup

from kernel import caching, formatting
from kernel.context_processors import nonce_of


def static_url(path: str) -> str:
    """`static()` for templates, remembered.

    The hashed name of a file never changes while a process runs, and the manifest lookup
    would otherwise run for every asset on every page.
    """
    url = caching.static_urls.get(path)
    if url is None:
        url = caching.static_urls[path] = static(path)
    return url


def path_segment(value: Any) -> str:
    """Quotes a URL path segment as Django's reverse() does (colons kept)."""
    return quote(str(value), safe="!$&'()*+,;=~:@")


def url(viewname: str, *args: Any, **kwargs: Any) -> str:
    """`reverse()` for templates: `url('home')`, `url('<type slug>:details', migration_id)`.

    An address without arguments is the same on every request with the same script prefix and
    URLconf (no request sets a URLconf of its own here), so it is remembered per process:
    reverse() took 24-30 us, this 4 us (timeit), and a history page asks for four or five.
    """
    if args or kwargs:
        return reverse(viewname, args=args or None, kwargs=kwargs or None)
    key = (get_script_prefix(), settings.ROOT_URLCONF, viewname)
    address = caching.reversed_urls.get(key)
    if address is None:
        address = caching.reversed_urls[key] = reverse(viewname)
    return address


class PageEnvironment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one dict: the environment's, then the template's own.

        Jinja keeps them as a ChainMap over the environment's, so that globals added to the
        environment later still show; ours are all set where the environment is made (below),
        before any template is loaded. A ChainMap costs each render and macro import: Jinja
        copies the globals into each new context (`dict(globals, **vars)`, twice a page) and
        works out `set - globals.keys()` at each import (five on home, nine on a history page),
        asking the maps one key at a time in Python: 5.4 and 8.7 us with a ChainMap, 0.1 and
        0.3 us with a dict (timeit).
        """
        return {**self.globals, **(d or {})}


# The Jinja2 backend's own folders (settings.TEMPLATES[0]["DIRS"]).
TEMPLATE_DIRS: list[Any] = settings.TEMPLATES[0]["DIRS"]  # type: ignore[assignment]


def ascii_html(html: str) -> Markup:
    """Rendered HTML with each character outside ASCII written as a reference ("&#169;" for the
    GOV.UK footer's copyright sign), which a browser reads as the character.

    Every response's page is encoded to UTF-8, and a single character outside ASCII anywhere in
    it makes Python encode the whole page character by character: the room table's 131 KB took
    193 us, against 3 us in ASCII; home 11 against 0.4 us (timeit). For HTML text and attribute
    values only, never a script or style element's content, where a reference stays as written.
    """
    return Markup(html.encode("ascii", "xmlcharrefreplace").decode("ascii"))  # noqa: S704


def kept_fragment(key: tuple[Any, ...], render: Callable[[], str]) -> Markup:
    """A rendered fragment kept by `key` among the few hundred most recent
    (`caching.rendered_fragments`), rendered by `render` the first time, in ASCII (ascii_html).
    """
    fragment = caching.rendered_fragments.get(key)
    if fragment is None:
        fragment = ascii_html(render())
        caching.rendered_fragments.put(key, fragment)
    return fragment


# Where a kept page has its own response's values (kept_page): written raw, where escaped text
# (anything from a request or upstream) cannot write "<".
NONCE_HOLE = Markup("<csp-nonce>")
CSRF_HOLE = Markup("<csrf-input>")
_HOLES = re.compile(f"({re.escape(NONCE_HOLE)}|{re.escape(CSRF_HOLE)})")


def kept_page(
    name: str, key: tuple[Any, ...], context: dict[str, Any], request: Any, source: Any = None
) -> str:
    """The page `name` as written last time for `key` and this user, with this response's own
    CSP nonce and masked CSRF token put in: a page that differs only by them between requests is
    written once (`caching.rendered_pages`).

    `key` names everything the page's content shows; what the layout shows (the user's short
    name, and their permissions for the header's links) is added here. A page made from `source`
    is kept only while it is made from that very object (a room table reused while its answers
    are unchanged). The page is written with the context processors' values, as
    `render_to_string` would, but with holes for the nonce and the CSRF token, and without the
    request itself: nothing else of one request can be written into a page another is given.
    """
    user = request.user
    full_key = (name, user.short_name, frozenset(user.get_all_permissions()), *key)
    kept = caching.rendered_pages.get(full_key)
    if kept is not None and kept[0] is source:
        parts = kept[1]
    else:
        backend = engines["jinja2"]
        full: dict[str, Any] = {}
        for processor in backend.template_context_processors:  # type: ignore[attr-defined]
            full.update(processor(request))
        full.update(context)
        full.update({"csp_nonce": NONCE_HOLE, "cspNonce": NONCE_HOLE, "csrf_input": CSRF_HOLE})
        # The layout's request id is this request's alone: a kept page must not give it to others.
        full["request_id"] = ""
        # Kept in pieces around its holes, which are then filled by one join: replacing them in
        # the room table's 133 KB page took 134 us, joining its pieces 3 us (timeit).
        parts = _HOLES.split(str(ascii_html(render_fragment(name, full))))
        caching.rendered_pages.put(full_key, (source, parts))
    values: dict[str, str] = {NONCE_HOLE: nonce_of(request)}
    # A token only where the page has a form for it: asking for one sets the CSRF cookie.
    if CSRF_HOLE in parts:
        values[CSRF_HOLE] = csrf_input(request)
    filled = list(parts)
    filled[1::2] = [values[hole] for hole in parts[1::2]]
    return "".join(filled)


def render_fragment(name: str, context: dict[str, Any]) -> str:
    """A template rendered with `context` and the environment's globals only: a part of a page
    whose context processors have already run for the page (their values are not in it)."""
    return get_template(name).template.render(context)  # type: ignore[attr-defined]


def environment(**options: Any) -> Environment:
    # The GOV.UK macros import each other as "govuk_frontend_jinja/...", so they are mounted under
    # that prefix rather than merged with our own templates.
    options["loader"] = ChoiceLoader(
        [
            FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = PageEnvironment(**options)  # autoescape=True: the Django backend passes it

    def rendered_once(name: str) -> Any:
        """A template with no variables, rendered the first time and reused on every page.

        The GOV.UK footer and skip link are the same on every page, and their macros cost about
        half a millisecond a page to expand.
        """
        fragment = caching.rendered_once.get(name)
        if fragment is None:
            fragment = ascii_html(env.get_template(name).render())
            caching.rendered_once[name] = fragment
        return fragment

    def render_cached(name: str, **params: str | bool) -> Any:
        """A fragment rendered from plain parameters only, kept for the states that recur.

        For macro-heavy parts whose output depends on a handful of strings (a filter form in
        its usual, empty state); the few hundred most recent states are kept.
        """
        if any(isinstance(value, str) and len(value) > 64 for value in params.values()):
            # Unusual input (these are typed values): rendered, never kept, so no one can fill
            # the memory with long strings.
            return Markup(env.get_template(name).render(**params))  # noqa: S704
        key = (name, *sorted(params.items()))
        return kept_fragment(key, lambda: env.get_template(name).render(**params))

    env.globals.update(
        {
            "static": static_url,
            "url": url,
            "service_name": settings.SERVICE_NAME,
            "rendered_once": rendered_once,
            "render_cached": render_cached,
        }
    )
    env.filters.update(
        {
            "thousands": formatting.thousands,
            "datetime_display": formatting.datetime_display,
            "clock": formatting.clock,
            "path_segment": path_segment,
        }
    )
    return env
