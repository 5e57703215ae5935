"""Outbound URL guard against server-side request forgery (SSRF).

A URL given by a user (a webhook subscriber) must not make our workers call into the private
network: its host is resolved and every address must be public, unless the host or address is on
the configured allow-list (``SEQUENCEHUB_OUTBOUND_ALLOW``: host names, IP addresses or CIDR
networks). Redirects are never followed by callers of this guard, so the checked URL is the one
fetched. (A DNS answer can still change between this check and the connection; an egress proxy or
firewall is the complete defence.)
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""(host, port) -> the IP address strings it resolves to."""

ALLOWED_SCHEMES = ("http", "https")


class OutboundURLRefused(ValueError):
    """The URL is malformed or points at an address outbound requests may not reach."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), via the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OutboundURLRefused(f"cannot resolve host {host!r}: {exc.strerror or exc}") from None
    return sorted({str(info[4][0]) for info in infos})


def forbidden_reason(address: IPAddress) -> str | None:
    """Why an address is not public (private, loopback, link-local...), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_reason(address.ipv4_mapped)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("shared address space", address in ipaddress.ip_network("100.64.0.0/10")),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None


@dataclass(frozen=True)
class OutboundGuard:
    """Checks outbound URLs; `allow` lists hosts, addresses and networks exempt from the check."""

    allow: tuple[str, ...] = ()
    resolver: Resolver = resolve_host

    def _allowed_hosts(self) -> set[str]:
        return {a.strip().lower().rstrip(".") for a in self.allow if not _is_ip_or_network(a)}

    def _allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(a.strip(), strict=False) for a in self.allow if _is_ip_or_network(a)]

    def check(self, url: str) -> list[str]:
        """Raise OutboundURLRefused unless `url` may be fetched; returns the resolved addresses."""
        host, port = split_url(url)
        if host.lower().rstrip(".") in self._allowed_hosts():
            return []
        addresses = self.resolver(host, port)
        if not addresses:
            raise OutboundURLRefused(f"host {host!r} of {url!r} resolves to no address")
        networks = self._allowed_networks()
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            reason = forbidden_reason(address)
            if reason is not None and not _in_any(address, networks):
                raise OutboundURLRefused(
                    f"refusing {url!r}: host {host!r} resolves to {reason} address {address}; "
                    f"add it to SEQUENCEHUB_OUTBOUND_ALLOW to permit it"
                )
        return list(addresses)


def split_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; OutboundURLRefused naming the problem otherwise."""
    if not isinstance(url, str) or not url:
        raise OutboundURLRefused(f"URL must be a non-empty string, got {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundURLRefused(f"malformed URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise OutboundURLRefused(f"URL {url!r} must use http or https, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise OutboundURLRefused(f"URL {url!r} has no host")
    if parts.username or parts.password:
        raise OutboundURLRefused(f"URL {url!r} must not carry credentials")
    return parts.hostname, port or (443 if parts.scheme.lower() == "https" else 80)


def _is_ip_or_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return True


def _in_any(address: IPAddress, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)
