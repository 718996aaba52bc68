"""Where zdd may post: never a link-local or instance-metadata address.

A webhook URL comes from configuration or ``--webhook``; a hostname can resolve to
anything, and a reply can redirect anywhere. zdd's events (and the job's network
position: IAM credentials at ``169.254.169.254``) must not reach the metadata
service or other link-local endpoints. So:

* the address is checked at connect time, after DNS: every address the name
  resolves to is checked (one refused address refuses the name), and the socket
  connects to an address that was checked, never to the name again (no window for
  DNS rebinding);
* IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms are checked as the IPv4 they carry;
* redirects are not followed (a webhook that answers 3xx failed: counted, logged once);
* a URL whose host is a refused literal address is bad input at load time.

Loopback and private addresses stay allowed: chat servers inside a VPC are common,
and tests post to ``127.0.0.1``. Through an HTTP(S) proxy the connection is to the
proxy, so the target's name is also resolved and checked before the request (best
effort: the proxy resolves it again).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.parse
import urllib.request
from typing import Any

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # EC2 instance metadata (IMDS)
        "169.254.170.2",  # ECS task metadata and credentials
        "169.254.170.23",  # EKS pod identity agent
        "fd00:ec2::254",  # EC2 instance metadata over IPv6
        "fd00:ec2::23",  # EKS pod identity agent over IPv6
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


class AddressRefused(OSError):
    """The destination is an address zdd never posts to."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # NAT64, or ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(address: str) -> str | None:
    """Why zdd never connects to ``address`` (an IP literal), or None when it may."""
    try:
        ip: IP = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = refusal(str(inner))
            return f"{why} (as {ip})" if why else None
    if ip in METADATA:
        return f"{ip} is an instance metadata address"
    if ip.is_link_local:
        return f"{ip} is link-local"
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return f"{ip} is not a destination"
    if ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        return f"{ip} is multicast or broadcast"
    return None


def literal_refusal(url: str) -> str | None:
    """For config checks: why the URL's host, when it is an IP literal, is refused."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: checked when connecting, after DNS
    return refusal(host)


def resolve_checked(host: str, port: int) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` answers for ``host``, each checked; AddressRefused if any is refused."""
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    for info in infos:
        why = refusal(str(info[4][0]))
        if why:
            raise AddressRefused(f"{host} resolves to a refused address: {why}")
    if not infos:
        raise AddressRefused(f"{host} resolves to no address")
    return infos


def guarded_connection(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None, **_: Any
) -> socket.socket:
    """``socket.create_connection`` that connects only to checked addresses."""
    host, port = address
    last: OSError | None = None
    for family, kind, proto, _name, sockaddr in resolve_checked(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None and timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError(f"cannot connect to {host}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_connection


def _check_target(request: urllib.request.Request) -> None:
    parts = urllib.parse.urlsplit(request.full_url)
    if parts.hostname:
        resolve_checked(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class _HTTP(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        _check_target(req)
        return self.do_open(_GuardedHTTPConnection, req)


class _HTTPS(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        _check_target(req)
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx becomes an HTTPError: a failed delivery


def guarded_opener() -> urllib.request.OpenerDirector:
    """An opener that posts only to allowed addresses and follows no redirect."""
    return urllib.request.build_opener(_HTTP(), _HTTPS(), _NoRedirect())
