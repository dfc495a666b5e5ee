"""Helpers shared by the service views: role checks, method dispatch, Spring ``Page`` JSON."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.util import BadRequest, error_response, json_response

View = Callable[..., HttpResponse]


def claims_of(request: HttpRequest) -> dict[str, Any] | None:
    """Claims of the request's valid bearer token (decoded once, by sandbox.middleware)."""
    claims: dict[str, Any] | None = request.environ.get("sandbox.claims")  # type: ignore[attr-defined]
    return claims


def principal(claims: dict[str, Any] | None) -> str | None:
    """The upstream's principal name: first of ``user_name``, ``user_id``, ``client_id`` (§2.1)."""
    if not claims:
        return None
    for key in ("user_name", "user_id", "client_id"):
        if claims.get(key):
            return str(claims[key])
    return None


def unauthorised() -> HttpResponse:
    response = error_response(
        401, "Unauthorised: Full authentication is required to access this resource"
    )
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def require_role(role: str, *others: str) -> Callable[[View], View]:
    """401 without a valid token, exactly ``{"status":403}`` without ``role`` (or one of
    ``others``, for endpoints that accept any of several roles); 400 for bad input."""
    accepted = {role, *others}

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            claims = claims_of(request)
            if claims is None:
                return unauthorised()
            if accepted.isdisjoint(claims.get("authorities") or ()):
                return json_response({"status": 403}, 403)
            try:
                return view(request, *args, **kwargs)
            except BadRequest as exc:
                message = str(exc)
                if not message.startswith(("Bad Request: ", "Validation failure: ")):
                    message = f"Bad Request: {message}"
                return error_response(400, message)

        return wrapper

    return decorator


def methods(**handlers: View) -> View:
    """Dispatch one URL to a view per HTTP method (405 otherwise)."""

    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handler = handlers.get(request.method or "GET")
        if handler is None and request.method == "HEAD":
            handler = handlers.get("GET")
        if handler is None:
            response = error_response(405, f"Method Not Allowed: {request.method}")
            response["Allow"] = ", ".join(handlers)
            return response
        return handler(request, *args, **kwargs)

    return dispatch


def page_json(content: list[Any], *, page: int, size: int, total: int) -> dict[str, Any]:
    """Classic Spring ``Page`` JSON, ``totalElements`` at the top level (upstream-api §2.5)."""
    total_pages = (total + size - 1) // size if size else 0
    sort = {"empty": True, "sorted": False, "unsorted": True}
    return {
        "content": content,
        "pageable": {
            "pageNumber": page,
            "pageSize": size,
            "sort": sort,
            "offset": page * size,
            "paged": True,
            "unpaged": False,
        },
        "last": page >= total_pages - 1,
        "totalPages": total_pages,
        "totalElements": total,
        "size": size,
        "number": page,
        "sort": sort,
        "first": page == 0,
        "numberOfElements": len(content),
        "empty": not content,
    }


def paged_model_json(content: list[Any], *, page: int, size: int, total: int) -> dict[str, Any]:
    """Spring ``PagedModel`` JSON: the counts under ``page`` (upstream-api-types §4.2)."""
    total_pages = (total + size - 1) // size if size else 0
    return {
        "content": content,
        "page": {"size": size, "number": page, "totalElements": total, "totalPages": total_pages},
    }


def paging(request: HttpRequest, *, default_size: int = 20) -> tuple[int, int]:
    from sandbox.util import parse_int

    page = parse_int(request.GET.get("page"), "page", 0)
    size = parse_int(request.GET.get("size"), "size", default_size)
    if page < 0:
        raise BadRequest("Validation failure: page must not be negative")
    # Spring Data falls back to the default for sizes below 1 and caps them at 2000.
    if size < 1:
        size = default_size
    return page, min(size, 2000)


def mappings_of_migration(
    request: HttpRequest, migration_id: str, store_of: Callable[[Any], Any]
) -> HttpResponse:
    """A classic page of one migration's mappings (P4, P6, ...): what "migrated" counts read.

    ``store_of(state)`` is the type's store, with ``by_label`` (migration id -> mapping keys in
    the order written) and ``mappings`` (key -> mapping with ``as_json()``).
    """
    page, size = paging(request)
    engine = get_engine()
    with engine.lock:
        data = store_of(engine.state)
        keys = data.by_label.get(migration_id, [])
        chosen = [data.mappings[k].as_json() for k in keys[page * size : (page + 1) * size]]
        total = len(keys)
    return json_response(page_json(chosen, page=page, size=size, total=total))


def health(_request: HttpRequest) -> HttpResponse:
    return json_response({"status": "UP"})


def not_found(_request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(404, "Not Found: no handler for this path")


def server_error(_request: HttpRequest) -> HttpResponse:
    return error_response(500, "Unexpected error")
