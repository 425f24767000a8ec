"""Where the server may connect to on a tenant's behalf (webhooks, IMAP mailboxes).

A tenant chooses the host, so a request to it must never reach the installation's own network:
loopback, private, link-local (cloud metadata at 169.254.169.254), shared, multicast, unspecified
and reserved addresses are refused, for IPv4 and IPv6 alike (including IPv4-mapped, NAT64, 6to4
and Teredo addresses, whose embedded IPv4 address is checked too). An on-premises installation
that must reach hosts on its own network lists those networks in
``settings.OUTBOUND_ALLOWED_NETWORKS``.

The host is checked twice: when the URL or mailbox is saved (a clear 400 for the user) and at every
connection, where the name is resolved once, each address is checked and the socket connects to
that checked address. A DNS answer that changes between the check and the connection (DNS
rebinding) therefore cannot send it elsewhere. TLS still verifies the certificate of the host name
(SNI) and HTTP still sends ``Host`` with the name.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
WEBHOOK_SCHEMES = ("https", "http")
# A webhook receiver answers quickly or not at all; the worker must not hang on a slow one.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# What is kept of a receiver's reply: enough to see its error message, too little to read a page
# it serves. Shown only to the tenant's admins.
RESPONSE_EXCERPT_BYTES = 256


class OutboundRefused(ValueError):
    """A connection the policy does not allow; the message is for the user (a 400)."""


@lru_cache(maxsize=8)
def _parse_networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    value = getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ()) or ()
    if isinstance(value, str):
        value = value.split(",")
    return _parse_networks(tuple(value))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _public(address: IPAddress) -> bool:
    return not (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
                or address.is_unspecified or address.is_reserved or not address.is_global)


def address_allowed(address: str | IPAddress) -> bool:
    """Whether the server may connect to this IP address: public, or in an allowed network."""
    address = ipaddress.ip_address(address)
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return False
    candidates = [address]
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if address.ipv4_mapped is not None:
            candidates = [embedded]  # ::ffff:a.b.c.d is a.b.c.d on the wire
        elif embedded is not None:
            candidates.append(embedded)
    networks = allowed_networks()
    return all(_public(candidate) or any(candidate.version == net.version and candidate in net
                                         for net in networks)
               for candidate in candidates)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _refused() -> OutboundRefused:
    return OutboundRefused(_("This host is on an internal or reserved network; connections there are "
                             "not allowed."))


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, each checked; OutboundRefused if any is not allowed or none is found."""
    host = (host or "").strip().rstrip(".")
    if not host:
        raise OutboundRefused(_("Give a host name."))
    literal = _literal(host)
    if literal is not None:
        if not address_allowed(literal):
            raise _refused()
        return [str(literal)]
    _check_name(host)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise OutboundRefused(_("The host name %(host)s cannot be resolved.") % {"host": host}) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OutboundRefused(_("The host name %(host)s cannot be resolved.") % {"host": host})
    if not all(address_allowed(address) for address in addresses):
        raise _refused()
    return addresses


def _check_name(host: str) -> None:
    lowered = host.lower()
    if lowered == "localhost" or lowered.endswith(".localhost"):
        if not address_allowed("127.0.0.1"):
            raise _refused()


def check_host(host: str, port: int) -> None:
    """The save-time check. An internal address is refused; a name that does not resolve (yet) is
    accepted here, since every connection resolves and checks it again."""
    host = (host or "").strip().rstrip(".")
    if _literal(host) is None:
        _check_name(host)
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            return
    resolve(host, port)


def check_url(url: str) -> None:
    """A webhook URL: http(s), a host, no credentials, an allowed address. OutboundRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(_("This is not a valid URL.")) from exc
    if parts.scheme.lower() not in WEBHOOK_SCHEMES:
        raise OutboundRefused(_("Use an https:// (or http://) address."))
    if not parts.hostname:
        raise OutboundRefused(_("The address needs a host name."))
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused(_("Put no user name or password in the address; the requests are signed."))
    check_host(parts.hostname, port or (443 if parts.scheme.lower() == "https" else 80))


def connect(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A TCP connection to a checked address of ``host`` (the connect-time check)."""
    error: OSError | None = None
    for address in resolve(host, port):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address to connect to")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = connect(self.host, self.port, min(self.timeout or CONNECT_TIMEOUT, CONNECT_TIMEOUT))
        self.sock.settimeout(self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = connect(self.host, self.port, min(self.timeout or CONNECT_TIMEOUT, CONNECT_TIMEOUT))
        sock.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def http_post(url: str, body: bytes, headers: dict[str, str], *, max_bytes: int,
              timeout: float = READ_TIMEOUT) -> tuple[int | None, str, str]:
    """POST ``body`` to ``url`` under the policy: checked address, no redirects followed, short timeouts.

    Returns ``(status, the first max_bytes of the reply as text, error)``; status is None when no
    HTTP answer came (then ``error`` says why). A 3xx is an answer like any other: not followed.
    """
    try:
        check_url(url)
        parts = urlsplit(url)
        https = parts.scheme.lower() == "https"
        port = parts.port or (443 if https else 80)
        if https:
            conn = _CheckedHTTPSConnection(parts.hostname, port, timeout=timeout,
                                           context=ssl.create_default_context())
        else:
            conn = _CheckedHTTPConnection(parts.hostname, port, timeout=timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read(max_bytes).decode("utf-8", "replace")
            return response.status, text, "" if response.status < 300 else f"HTTP {response.status}"
        finally:
            conn.close()
    except OutboundRefused as exc:
        return None, "", f"refused: {exc}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"
