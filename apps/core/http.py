"""Facts about the client of a request that the proxy in front of the app may have to tell us."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=1)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The client's IP address.

    X-Forwarded-For is honoured only when the direct peer is a configured trusted proxy, and then
    read from the right, skipping our own proxies: the first untrusted address is the client.
    A client that sends its own X-Forwarded-For can't choose the address recorded for it.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed chain: fall back to the proxy's own address
        if not _is_trusted(hop):
            return hop
    return hops[0] if hops else remote


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]
