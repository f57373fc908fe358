"""Which network addresses a fetch may connect to: public ones, unless whoever runs qa says
otherwise.

A page or feed added by address is fetched by this machine, with this machine's access.
An address (or a redirect, or a feed's item link) that leads to ``http://127.0.0.1:8080/``,
to a cloud metadata service at ``169.254.169.254`` or to an intranet host would read what
only this machine may read, and store it in the corpus for anyone who asks the chat. So a
host name is resolved, every address it resolves to is checked, and the connection is made
to a checked address (the name is not looked up a second time, so its answer cannot change
in between).

``QA_FETCH_ALLOW_PRIVATE=1`` allows every address (an intranet's news site, tests on
127.0.0.1); a list of addresses and networks, ``QA_FETCH_ALLOW_PRIVATE=10.1.0.0/16,
127.0.0.1``, allows those only.

>>> policy = AddressPolicy()
>>> policy.refusal("127.0.0.1"), policy.refusal("169.254.169.254"), policy.refusal("::ffff:10.0.0.7")
('a loopback address', 'a link-local address', 'a private address')
>>> policy.refusal("93.184.216.34")
''
>>> AddressPolicy.from_env("127.0.0.1").refusal("127.0.0.1")
''
"""
from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass

from ..errors import FetchError

ALLOW_PRIVATE_ENV = "QA_FETCH_ALLOW_PRIVATE"

class AddressError(FetchError):
    """A host name that does not resolve, or resolves to an address that may not be fetched from."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only; ``allow_all`` lifts that, ``allowed`` lifts it for these networks."""

    allow_all: bool = False
    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_env(cls, value: str | None = None) -> "AddressPolicy":
        """The policy ``QA_FETCH_ALLOW_PRIVATE`` (or ``value``) asks for: unset, empty or 0 is
        public addresses only; 1 (or true, yes) allows all; else a comma-separated list."""
        value = (os.environ.get(ALLOW_PRIVATE_ENV, "") if value is None else value).strip()
        if value.lower() in ("", "0", "false", "no"):
            return cls()
        if value.lower() in ("1", "true", "yes"):
            return cls(allow_all=True)
        networks = []
        for item in (part.strip() for part in value.split(",")):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise FetchError(f"{ALLOW_PRIVATE_ENV}={value!r}: {item!r} is not an address or network; set it "
                                 "to 1 (every address), or to addresses and networks such as 10.1.0.0/16,127.0.0.1"
                                 ) from exc
        return cls(allowed=tuple(networks))

    def refusal(self, address: str | Address) -> str:
        """What kind of non-public address ``address`` is ("a loopback address"), or '' when
        a fetch may connect to it."""
        address = ipaddress.ip_address(str(address).split("%", 1)[0])  # fe80::1%eth0: the scope is no part of it
        if self.allow_all or any(address in network for network in self.allowed
                                 if network.version == address.version):
            return ""
        # An IPv6 form of an IPv4 address (::ffff:127.0.0.1, 6to4) is judged as that address.
        inner = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
        if inner is not None:
            return self.refusal(inner)
        for test, kind in _KINDS:
            if getattr(address, test):
                return kind
        return "" if address.is_global else "a non-public (shared or reserved) address"

    def resolve(self, host: str, port: int) -> list[tuple]:
        """The ``getaddrinfo`` entries of ``host`` to connect to, every one allowed;
        :class:`FetchError` naming the first that is not (or when ``host`` does not resolve)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise AddressError(f"{host} cannot be found ({exc}); check the address and the connection") from exc
        for info in infos:
            address = info[4][0]
            kind = self.refusal(address)
            if kind:
                shown = host if host == address else f"{host} ({address})"
                raise AddressError(
                    f"{shown} is {kind}; qa fetches only from public addresses, so that an address given "
                    "to it, a redirect or a feed's link cannot read pages meant for this machine or its "
                    f"network. To add pages from such an address, set {ALLOW_PRIVATE_ENV}=1 (or to the "
                    "addresses and networks to allow, e.g. 10.1.0.0/16)")
        return infos


_KINDS = (
    ("is_loopback", "a loopback address"),
    ("is_unspecified", "an unspecified address (0.0.0.0 or ::, this machine)"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
)
