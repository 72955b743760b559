"""The address of the client a request comes from, also behind reverse proxies.

Only a request that arrives from a trusted proxy (TRUSTED_PROXIES) has its X-Forwarded-For
read, and then only the address the outermost of TRUSTED_PROXY_COUNT proxies appended: what a
client wrote into the header itself is ignored. django-ipware parses the header (lists,
IPv6, ports, junk); which proxies to trust is ours to say.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from ipware import get_client_ip


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]


def from_trusted_proxy(address: str | None) -> bool:
    """Whether a connection from `address` is one of the reverse proxies' (TRUSTED_PROXIES)."""
    if not settings.TRUSTED_PROXY_COUNT or not address:
        return False
    if not settings.TRUSTED_PROXIES:
        return True  # a count alone: every connection comes through the proxies
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:10.0.0.5 is 10.0.0.5
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The client's address: the connecting one, or behind trusted proxies, the forwarded one."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not from_trusted_proxy(remote):
        return remote
    # ipware counts the proxies listed in the header; the nearest proxy is the connection.
    forwarded, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=settings.TRUSTED_PROXY_COUNT - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return forwarded or remote
