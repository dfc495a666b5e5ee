"""Control API under ``/__sandbox/`` for tests and demos (JSON in and out, no auth)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox import entities, lifecycle, scenarios
from sandbox.config import ConfigError
from sandbox.engine import FaultError, get_engine
from sandbox.util import BadRequest, empty_response, json_response, read_json


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    data = read_json(request.body)
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object")
    return data


def _bad(message: str) -> HttpResponse:
    return json_response({"error": message}, 400)


def _summary() -> dict[str, Any]:
    """Counts per type, plus the queue totals over every type's queues."""
    engine = get_engine()
    with engine.lock:
        state = engine.state
        now = engine.now()
        queues = {
            t: {
                "queueVisible": queue.visible(now),
                "queueInFlight": queue.in_flight(),
                "dlq": len(state.dlqs[t].messages),
            }
            for t, queue in state.queues.items()
        }
        summary: dict[str, Any] = {"scenario": state.scenario}
        for entity in entities.every():
            summary.update(entity.summary(state))
        summary.update(
            history=len(state.history),
            queueVisible=sum(q["queueVisible"] for q in queues.values()),
            queueInFlight=sum(q["queueInFlight"] for q in queues.values()),
            dlq=sum(q["dlq"] for q in queues.values()),
            queues=queues,
            faults=len(engine.faults),
            latency_ms=engine.latency_ms,
        )
        return summary


def reset(request: HttpRequest) -> HttpResponse:
    """``POST /__sandbox/reset {"scenario": NAME, "history_size"?: N, "settings"?: {...}}``."""
    try:
        body = _body(request)
        scenario = body.get("scenario", "default")
        history_size = body.get("history_size")
        if history_size is not None and (not isinstance(history_size, int) or history_size < 0):
            return _bad("history_size must be a non-negative integer")
        engine = get_engine()
        if body.get("settings"):
            engine.settings.update(body["settings"])
            engine.ensure_workers()
        engine.reset(scenario, history_size=history_size)
    except scenarios.UnknownScenario:
        return _bad(f"unknown scenario; use one of {list(scenarios.SCENARIOS)}")
    except (BadRequest, ConfigError) as exc:
        return _bad(str(exc))
    return json_response(_summary())


def state(_request: HttpRequest) -> HttpResponse:
    return json_response(_summary())


def faults(request: HttpRequest) -> HttpResponse:
    """``POST`` adds a fault (201), ``GET`` lists, ``DELETE`` clears them and frees hung calls."""
    engine = get_engine()
    if request.method == "DELETE":
        engine.clear_faults()
        return empty_response(204)
    if request.method == "GET":
        with engine.lock:
            return json_response([f.as_json() for f in engine.faults])
    if request.method != "POST":
        return _bad("use GET, POST or DELETE")
    try:
        fault = engine.add_fault(_body(request))
    except (BadRequest, FaultError) as exc:
        return _bad(str(exc))
    return json_response(fault.as_json(), 201)


def latency(request: HttpRequest) -> HttpResponse:
    """``POST /__sandbox/latency {"ms": N}``: every upstream call is answered N ms after its
    request was read, carried out at once (sandbox.middleware); 0 turns it off."""
    engine = get_engine()
    if request.method == "POST":
        try:
            ms = _body(request).get("ms", 0)
        except BadRequest as exc:
            return _bad(str(exc))
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
            return _bad("ms must be a non-negative number")
        engine.latency_ms = float(ms)
    return json_response({"ms": engine.latency_ms})


def journal(request: HttpRequest) -> HttpResponse:
    """``GET`` the requests served since the last reset; ``DELETE`` empties it."""
    engine = get_engine()
    with engine.lock:
        if request.method == "DELETE":
            engine.journal.clear()
            return empty_response(204)
        return json_response(list(engine.journal))


def settings(request: HttpRequest) -> HttpResponse:
    """``GET`` or ``POST /__sandbox/settings {"token_lifetime_seconds": 5, ...}``."""
    engine = get_engine()
    if request.method == "POST":
        try:
            engine.settings.update(_body(request))
        except (BadRequest, ConfigError) as exc:
            return _bad(str(exc))
        engine.ensure_workers()
    return json_response(engine.settings.as_dict())


def redirect_uris(request: HttpRequest) -> HttpResponse:
    """``POST /__sandbox/redirect-uris {"client_id": …, "uri": …}`` registers one more URI."""
    engine = get_engine()
    try:
        body = _body(request)
    except BadRequest as exc:
        return _bad(str(exc))
    client_id = body.get("client_id", "nomis-sync-dashboard-ui")
    uri = body.get("uri")
    with engine.lock:
        client = engine.auth.clients.get(client_id)
        if client is None:
            return _bad(f"unknown client {client_id!r}")
        if request.method == "POST":
            if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
                return _bad("uri must be an absolute http(s) URL")
            if uri not in client.redirect_uris:
                client.redirect_uris.append(uri)
        return json_response({"client_id": client_id, "redirect_uris": list(client.redirect_uris)})


def users(_request: HttpRequest) -> HttpResponse:
    engine = get_engine()
    return json_response(
        [
            {"username": u.username, "name": u.name, "roles": u.roles, "auth_source": u.auth_source}
            for u in engine.auth.users.values()
        ]
    )


def telemetry(_request: HttpRequest) -> HttpResponse:
    """What the real service would have sent to Application Insights (events) and its log lines."""
    engine = get_engine()
    with engine.lock:
        return json_response(
            {"events": list(engine.state.telemetry), "logs": list(engine.state.logs)}
        )


def dlq_retry(_request: HttpRequest) -> HttpResponse:
    """Run the scheduled DLQ retry once, now, for every type's DLQ (the total moved)."""
    moved = lifecycle.retry_all_dlqs(get_engine())
    return json_response({"messagesFoundCount": sum(moved.values())})
