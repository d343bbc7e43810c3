"""Which network addresses a URL ingest may connect to, enforced on every connection it opens.

A check of the link's host name before downloading is not enough: the page may embed or
redirect to a private address, a format URL may point anywhere, and DNS can answer differently
a second later (rebinding). So the rule is applied where the connection is made: while
`guard(policy)` is active on a thread, every TCP connect() that thread makes is checked on the
IP address actually being connected to, and refused when it lies in a blocked network.
"""

import contextlib
import ipaddress
import socket
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Everything that is not the public internet (IANA special-purpose registries). IPv6 forms that
# carry an IPv4 address (mapped, NAT64, 6to4) are judged by that IPv4 address as well.
DEFAULT_BLOCKED_NETWORKS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
    "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "240.0.0.0/4",
    "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)  # fmt: skip
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(ConnectionRefusedError):
    """A connection to a blocked network was refused before a packet was sent."""


@dataclass
class AddressPolicy:
    blocked: tuple[IPNetwork, ...]
    refused: list[str] = field(default_factory=list)  # addresses refused so far, for the message

    @classmethod
    def from_networks(cls, networks: Iterable[str] | None = None) -> "AddressPolicy":
        """networks: CIDR strings; None means DEFAULT_BLOCKED_NETWORKS, [] blocks nothing."""
        chosen = DEFAULT_BLOCKED_NETWORKS if networks is None else networks
        return cls(tuple(ipaddress.ip_network(n.strip(), strict=False) for n in chosen if n.strip()))

    def is_blocked(self, ip: IPAddress) -> bool:
        return any(candidate in network for candidate in _forms_of(ip) for network in self.blocked
                   if candidate.version == network.version)  # fmt: skip

    def check(self, host: str) -> None:
        """Raise BlockedAddress if host (an IP literal, else a name resolved here) is blocked."""
        for ip in _addresses_of(host):
            if self.is_blocked(ip):
                self.refused.append(str(ip))
                raise BlockedAddress(f"connection to {ip} refused: not a public address")


def _forms_of(ip: IPAddress) -> list[IPAddress]:
    forms = [ip]
    if ip.version == 6:
        if ip.ipv4_mapped:
            forms.append(ip.ipv4_mapped)
        if ip.sixtofour:
            forms.append(ip.sixtofour)
        if ip in _NAT64:
            forms.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.teredo:
            forms.extend(ip.teredo)
    return forms


def _addresses_of(host: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.split("%")[0])]
    except ValueError:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


_active: ContextVar[AddressPolicy | None] = ContextVar("cliper_address_policy", default=None)
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _checked(sock: socket.socket, address) -> None:
    policy = _active.get()
    if policy is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        policy.check(address[0])


def _connect(self, address):
    _checked(self, address)
    return _original_connect(self, address)


def _connect_ex(self, address):
    _checked(self, address)
    return _original_connect_ex(self, address)


def _install() -> None:
    # Once per process; costs one ContextVar lookup per connect where no guard is active.
    if socket.socket.connect is not _connect:
        socket.socket.connect = _connect
        socket.socket.connect_ex = _connect_ex


@contextlib.contextmanager
def guard(policy: AddressPolicy) -> Iterator[AddressPolicy]:
    """Inside the block, connections made by this thread go only where policy allows. Threads
    started inside do not inherit it: callers must keep their network work on this thread."""
    _install()
    token = _active.set(policy)
    try:
        yield policy
    finally:
        _active.reset(token)


@contextlib.contextmanager
def unguarded() -> Iterator[None]:
    """Lift the guard for our own work done from inside it (a progress callback writing to the
    database, which may well live on a private address)."""
    token = _active.set(None)
    try:
        yield
    finally:
        _active.reset(token)
