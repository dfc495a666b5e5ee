"""Request ids and structured log lines."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.test import Client

from kernel.logging import JsonFormatter, RequestContextFilter, request_context

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_new_request_id() -> None:
    first = Client().get("/ping")["X-Request-Id"]
    second = Client().get("/ping")["X-Request-Id"]
    assert uuid.UUID(first) and uuid.UUID(second)
    assert first != second


def test_an_incoming_request_id_is_kept_beside_our_own_never_instead_of_it(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="nomis_sync.access"):
        response = Client().get("/no-such-page", HTTP_X_REQUEST_ID="abc-123.def")
    assert response["X-Request-Id"] != "abc-123.def"
    assert uuid.UUID(response["X-Request-Id"])
    record = next(r for r in caplog.records if r.name == "nomis_sync.access")
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-Id"]
    assert line["incoming_request_id"] == "abc-123.def"


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "new\nline", "<script>"])
def test_an_unsafe_incoming_request_id_is_not_kept(bad: str, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="nomis_sync.access"):
        response = Client().get("/no-such-page", HTTP_X_REQUEST_ID=bad)
    assert uuid.UUID(response["X-Request-Id"])
    record = next(r for r in caplog.records if r.name == "nomis_sync.access")
    RequestContextFilter().filter(record)
    assert "incoming_request_id" not in json.loads(JsonFormatter().format(record))


def test_access_log_line_has_method_path_status_duration_and_request_id(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="nomis_sync.access"):
        response = Client().get("/no-such-page")
    record = next(r for r in caplog.records if r.name == "nomis_sync.access")
    assert response.status_code == 404
    assert (record.method, record.path, record.status) == ("GET", "/no-such-page", 404)
    assert record.duration_ms >= 0
    assert record.user == "-"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-Id"]
    assert line["level"] == "INFO"
    assert {"time", "user", "method", "path", "status", "duration_ms"} <= set(line)


def test_successful_probes_and_assets_are_not_logged(caplog) -> None:
    from django.templatetags.static import static

    with caplog.at_level(logging.INFO, logger="nomis_sync.access"):
        Client().get("/ping")
        assert Client().get(static("css/application.css")).status_code == 200
    assert not [r for r in caplog.records if r.name == "nomis_sync.access"]


def test_a_missing_asset_is_logged(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="nomis_sync.access"):
        Client().get("/assets/no-such-file.css")
    assert [r for r in caplog.records if r.name == "nomis_sync.access" and r.status == 404]


def test_log_lines_inside_a_request_carry_its_id() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    token = request_context.set({"request_id": "rid-9"})
    try:
        RequestContextFilter().filter(record)
    finally:
        request_context.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world"
    assert line["request_id"] == "rid-9"
    assert line["user"] == "-"
