"""The client's address, as login throttling sees it.

Behind a TLS proxy every request comes from the proxy. Its forwarding header names the client,
but anyone can send that header: it is believed only when the request comes from a proxy listed
in ``LEADFLOW_TRUSTED_PROXIES``, and then only the entries those proxies added (read from the
right, skipping trusted hops). Everything else is REMOTE_ADDR.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    trusted = _networks(tuple(settings.LEADFLOW_TRUSTED_PROXIES))

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    if remote is None:
        return request.META.get("REMOTE_ADDR", "")
    if not is_trusted(remote):
        return str(remote)
    header = request.META.get(settings.LEADFLOW_CLIENT_IP_HEADER, "")
    client = remote
    for entry in reversed(header.split(",") if header else []):
        address = _parse(entry)
        if address is None:
            break  # garbage from before the trusted hops: stop at the last address we trust
        client = address
        if not is_trusted(address):
            break
    return str(client)
