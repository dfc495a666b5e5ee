"""The GOV.UK layout, error pages, security headers and static assets."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.unit.error_urls")]

SERVICE = "NOMIS Migration and Synchronisation Dashboard"


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def test_unknown_page_is_a_govuk_404_with_the_service_title(client: Client) -> None:
    response = client.get("/no-such-page")
    html = response.content.decode()
    assert response.status_code == 404
    assert f"<title>Page not found - {SERVICE}</title>" in html
    assert 'class="govuk-heading-l">Page not found</h1>' in html
    assert "govuk-footer" in html
    assert "moj-header" in html


def test_server_error_shows_a_govuk_page_without_any_stack_trace(client: Client) -> None:
    response = client.get("/explode")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "Traceback" not in html
    assert "secret internal detail" not in html
    # The reference lets a user quote the request to the team; it matches the response header.
    assert response["X-Request-Id"] in html


def test_permission_denied_is_a_govuk_403(client: Client) -> None:
    response = client.get("/forbidden")
    assert response.status_code == 403
    assert "You are not authorised to use this page" in response.content.decode()


def test_bad_request_is_a_govuk_400(client: Client) -> None:
    response = client.get("/bad")
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.content.decode()


def test_post_without_csrf_token_is_refused_with_a_govuk_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/ping")
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()


def test_environment_tag_is_shown_only_when_configured(client: Client, settings) -> None:
    settings.ENVIRONMENT_NAME = ""
    assert "header-environment-tag" not in client.get("/nowhere").content.decode()
    settings.ENVIRONMENT_NAME = "DEV"
    html = client.get("/nowhere").content.decode()
    assert re.search(r'data-qa="header-environment-tag">DEV<', html)


def test_no_user_slot_for_anonymous_visitors(client: Client) -> None:
    html = client.get("/nowhere").content.decode()
    assert "Sign out" not in html


def test_csp_uses_a_nonce_and_never_unsafe_inline(client: Client) -> None:
    response = client.get("/nowhere")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce, policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts, "the layout loads the GOV.UK and MOJ scripts"
    for tag in scripts:
        assert f'nonce="{nonce.group(1)}"' in tag, tag


def test_scripts_and_styles_are_served_with_hashed_names(client: Client) -> None:
    html = client.get("/nowhere").content.decode()
    for name in ("css/application", "js/govuk-frontend", "js/moj-frontend", "js/application"):
        assert re.search(rf"/assets/{name}\.[0-9a-f]{{12}}\.(css|js)", html), name


def test_security_headers(client: Client) -> None:
    response = client.get("/ping")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_cached_fragments_escape_their_values_and_keep_each_state_apart() -> None:
    from django.template import engines

    render_cached = engines["jinja2"].env.globals["render_cached"]  # type: ignore[attr-defined]
    params = {
        "action": "/visits-migration/",
        "prison_id_error": "",
        "from_value": "",
        "from_error": "",
        "to_value": "",
        "to_error": "",
        "failures_only": False,
    }
    evil = render_cached("migrations_ui/_history_filters.html", prison_id='"><script>', **params)
    assert "<script>" not in evil
    assert "&#34;&gt;&lt;script&gt;" in evil or "&quot;&gt;&lt;script&gt;" in evil
    plain = render_cached("migrations_ui/_history_filters.html", prison_id="HEI", **params)
    assert 'value="HEI"' in plain
    assert render_cached("migrations_ui/_history_filters.html", prison_id="HEI", **params) is plain
    long_value = "X" * 100
    assert long_value in render_cached(
        "migrations_ui/_history_filters.html", prison_id=long_value, **params
    )


def test_templates_addresses_are_remembered_per_script_prefix_and_urlconf(settings) -> None:
    from django.template import engines
    from django.urls import NoReverseMatch, set_script_prefix

    url = engines["jinja2"].env.globals["url"]  # type: ignore[attr-defined]
    assert url("home") == "/"
    set_script_prefix("/dashboard/")  # served under a path prefix (SCRIPT_NAME)
    try:
        assert url("home") == "/dashboard/"
    finally:
        set_script_prefix("/")
    assert url("home") == "/"
    assert url("visits:details", "VISITS:1") != url("visits:details", "VISITS:2")
    settings.ROOT_URLCONF = "tests.unit.error_urls_without_home"
    with pytest.raises(NoReverseMatch):
        url("home")


def test_a_templates_globals_are_the_environments_under_its_own() -> None:
    """kernel.jinja2.PageEnvironment keeps a template's globals in one dict rather than Jinja's
    ChainMap: the environment's, overlaid by the template's own, without touching the
    environment's."""
    from kernel.jinja2 import PageEnvironment

    env = PageEnvironment(autoescape=True)
    env.globals.update({"shared": "environment", "own": "environment"})
    template = env.from_string("{{ shared }} {{ own }}", globals={"own": "template"})
    assert template.render() == "environment template"
    assert env.globals["own"] == "environment"
    # What Jinja takes at each import: the caller's globals that the imported template lacks.
    assert {"cycler", "shared", "caller_only"} - template.globals.keys() == {"caller_only"}


def test_every_template_sees_every_global_of_the_environment() -> None:
    """Globals are copied into a template when it is loaded, so all of them must be set where the
    environment is made (kernel.jinja2.environment), before any template is."""
    from django.template import engines

    env = engines["jinja2"].env  # type: ignore[attr-defined]
    for name in ("layout.html", "home.html", "migrations_ui/history.html"):
        assert env.get_template(name).globals.keys() >= env.globals.keys(), name


def test_a_kept_page_never_gives_one_requests_id_to_another(rf, syscon_user) -> None:
    """kernel.jinja2.kept_page: a page written once and kept is given to later requests, so
    nothing of the request it was written for (here the layout's request id) may be in it."""
    from kernel.jinja2 import kept_page
    from migrations_ui import types

    visits = next(t for t in types.REGISTERED if t.slug == "visits")
    context = {"ns": visits.namespace, "migration_type": visits}
    pages = []
    for request_id in ("first-request-id", "second-request-id"):
        request = rf.get("/")
        request.user, request.request_id, request.csp_nonce = syscon_user, request_id, "n0nce"
        pages.append(kept_page("migrations_ui/audit_unavailable.html", (), context, request))
    assert "first-request-id" not in pages[1]
    assert 'data-qa="request-id"' not in pages[0]
