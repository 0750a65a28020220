"""Who a client is, for limits: its IPv4 address, or for IPv6 the /64 network it is in
(one home or phone is given a whole /64, and can pick any address in it at will)."""

from __future__ import annotations

import ipaddress

IPV6_CLIENT_PREFIX = 64


def client_key(address: str) -> str:
    """The key a client's requests and connections are counted under."""
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(found.ipv4_mapped)
        return str(ipaddress.IPv6Network((found, IPV6_CLIENT_PREFIX), strict=False))
    return str(found)
