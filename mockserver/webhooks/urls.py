"""Where a webhook may go: the URL rule at subscription time, and egress at delivery time.

Both Bird APIs document HTTPS only (api.bird.com's pattern `^https://([a-zA-Z0-9-]+\\.)+
[a-zA-Z]{2,}...`; the platform also refuses private, loopback and link-local hosts). A mock
runs beside the code under test, which listens on plain HTTP on localhost or on a private
network, so the mock keeps the HTTPS rule for production-looking hosts only and lets
`http://` reach local ones (docs/fidelity.md):

- `loopback`: localhost, `*.localhost`, 127.0.0.0/8, ::1;
- `private`: the above, private, shared and link-local addresses (10/8, 172.16/12,
  192.168/16, 100.64/10, 169.254/16, fc00::/7, fe80::/10), and host names that are no
  public DNS name: a single label (a Docker or Kubernetes service, `app`) or one under
  `.local`, `.internal`, `.lan`, `.home.arpa`;
- `public`: everything else (HTTPS only).

A URL whose path starts with `/_mock/inbox/` is this mock's own inbox, whatever its host:
the engine hands it in-process to the control plane (never over the network).

Egress (`--webhook-egress`) says which of these the engine sends to at all: `any`,
`private` (the default: no public host, so URLs a fuzzer invents never leave the machine's
networks), `loopback`, or `none` (only the inbox). Host names are classified as written,
never resolved: deciding egress costs no DNS query.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

INBOX_PREFIX = "/_mock/inbox/"
EGRESS = ("any", "private", "loopback", "none")
_RANK = {"loopback": 0, "private": 1, "public": 2}
_ALLOWED = {"any": 2, "private": 1, "loopback": 0, "none": -1}
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not globally routed


def split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts


def inbox_name(url: str) -> str | None:
    """The inbox a URL names, when it is this mock's own (`.../_mock/inbox/<name>`)."""
    parts = split(url)
    if parts is None or not parts.path.startswith(INBOX_PREFIX):
        return None
    name = parts.path[len(INBOX_PREFIX) :]
    return name if name and "/" not in name else None


def host_kind(host: str) -> str:
    """loopback, private or public, from the host as written (never resolved)."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return "loopback"
        if "." not in host or host.endswith(_LOCAL_SUFFIXES):
            return "private"
        return "public"
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local or address in _SHARED:
        return "private"
    return "public"


def problem(url: str) -> str | None:
    """Why a URL cannot be a subscription's (None: it can)."""
    parts = split(url)
    if parts is None:
        return "must be an absolute http(s) URL with a host"
    if parts.scheme == "https" or inbox_name(url) is not None:
        return None
    assert parts.hostname is not None
    if host_kind(parts.hostname) == "public":
        return (
            "must use https (http is accepted for localhost, private addresses, single-label "
            "hosts and this mock's /_mock/inbox/)"
        )
    return None


def egress_refusal(url: str, egress: str) -> str | None:
    """Why the engine does not send to this URL under this egress setting (None: it does).
    The inbox is always reachable: it is the mock itself."""
    if inbox_name(url) is not None:
        return None
    parts = split(url)
    if parts is None:
        return "the URL is malformed"
    assert parts.hostname is not None
    kind = host_kind(parts.hostname)
    if _RANK[kind] <= _ALLOWED[egress]:
        return None
    return (
        f"egress refused: {parts.hostname} is a {kind} host and this mock delivers to "
        f"{_REACH[egress]} (--webhook-egress {egress})"
    )


_REACH = {
    "any": "any host",
    "private": "loopback and private hosts only",
    "loopback": "loopback hosts only",
    "none": "its own inbox only",
}
