"""What a request's forwarding headers are believed for: only what a trusted proxy wrote.

The platform's ingress terminates TLS and tells the dashboard, in `X-Forwarded-Proto`, `-Host`,
`-Port` and `-For`, how the browser reached it. Anyone who reaches the dashboard directly can send
the same headers. So they are believed only when the request arrived from one of
TRUSTED_PROXIES (addresses or networks, settings.TRUSTED_PROXY_NETWORKS), and that is decided
here, in the dashboard, from the peer's address: `manage.py runserver` and the test server have no
gunicorn in front to check it (gunicorn's forwarded_allow_ips decides only its own url_scheme,
while Django reads the headers from the request itself).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The headers Django reads for the scheme (SECURE_PROXY_SSL_HEADER), the host
# (USE_X_FORWARDED_HOST) and the port (USE_X_FORWARDED_PORT). X-Forwarded-For is read by
# `client_ip` alone, which applies the same rule hop by hop.
SPOOFABLE = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")


def parse_address(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: Address | None) -> bool:
    return address is not None and any(
        address in network for network in settings.TRUSTED_PROXY_NETWORKS
    )


class TrustedProxyMiddleware:
    """Drop the scheme, host and port headers of a request that did not come from a trusted proxy.

    First in MIDDLEWARE, before anything reads the host or the scheme: with them gone, a direct
    caller's `X-Forwarded-Proto: https` no longer makes the request secure (HSTS, no https
    redirect, Secure-only logic), nor its `X-Forwarded-Host` the host. A request without any of
    them (most, and every probe) costs one dictionary look-up per header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if any(name in meta for name in SPOOFABLE) and not is_trusted_proxy(
            parse_address(meta.get("REMOTE_ADDR", ""))
        ):
            logger.info(
                "Forwarding headers from %s ignored: not in TRUSTED_PROXIES",
                meta.get("REMOTE_ADDR", "-"),
            )
            for name in SPOOFABLE:
                meta.pop(name, None)
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address for the audit log.

    The peer's address, unless the peer is a trusted proxy (TRUSTED_PROXIES): then the nearest
    X-Forwarded-For hop that is not itself a trusted proxy. Hops further left were written by
    whoever sent the request and are never believed.
    """
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    if peer is None or not is_trusted_proxy(peer):
        return str(peer) if peer is not None else None
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # Garbage in the chain: the hops before it cannot be trusted either.
            break
        if not is_trusted_proxy(address):
            return str(address)
    return str(peer)
