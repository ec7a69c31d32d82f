"""Who is knocking: the client's address, through the reverse proxies the library trusts.

Behind a reverse proxy every request comes from the proxy's address, so the sign-in throttle
would count every librarian as one visitor. ``server.trusted_proxies`` lists the proxies
(addresses or CIDR ranges); only when the direct peer is one of them is ``X-Forwarded-For``
read, from the right: the right-most address that is not a trusted proxy is the client. Anyone
else's ``X-Forwarded-For`` is ignored, so a client cannot choose the address it is counted as.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

from refbot.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SETTING = "server.trusted_proxies"


def trusted_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The networks of ``server.trusted_proxies``.

    Raises:
        ConfigError: an entry is not an address or a CIDR range.
    """
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ConfigError(SETTING, f"must list addresses or CIDR ranges such as 10.0.0.0/8, not {value!r}") from None
    return tuple(networks)


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """The client's address: the peer's, or what the trusted proxies in front of it say it is."""
    peer = request.remote or ""
    if not trusted or not _is_trusted(_parse(peer), trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", ()) for hop in header.split(",")]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return peer  # a proxy we trust wrote something that is not an address: count the proxy
        if not _is_trusted(address, trusted):
            return str(address)
    return peer


def reached_over_https(request: web.Request, trusted: Sequence[Network]) -> bool:
    """Whether the client came over HTTPS: to refbot itself, or to a trusted proxy that says so."""
    if request.secure:
        return True
    if not trusted or not _is_trusted(_parse(request.remote or ""), trusted):
        return False  # anyone else could write the header
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    # Several proxies append theirs: the first is what the client used.
    return forwarded.split(",")[0].strip().lower() == "https"


def _parse(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)
