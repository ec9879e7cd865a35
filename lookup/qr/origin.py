"""Whether a scanned verification URL points at this deployment, not at a look-alike.

A genuine token can be copied behind any address: `https://dipcheck.po1ice.example.gov/v/<token>`,
an internationalized look-alike (`dipcheck.pоlice...` with a Cyrillic `о`, sent as `xn--` punycode),
an extra subdomain (`dipcheck.police.example.gov.evil.example`), or user-info tricks
(`https://dipcheck.police.example.gov@evil.example/v/...`). The signature still verifies, so the
offline verifier must say separately that the address is not ours. Hosts are compared exactly,
after IDNA encoding, with the scheme and port: anything else is a mismatch. No Flask here, so the
check works with nothing but a keys file.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lookup.qr.tokens import SCAN_PATH


def _origin(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, ASCII host, port, path) of an http(s) URL, or None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_host = host  # not encodable: certainly not the configured (ASCII) host
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme, ascii_host, port if port != default_port else None, parts.path


def is_url(scanned: str) -> bool:
    return "://" in scanned


def host_problem(scanned: str, public_url: str) -> str | None:
    """Why `scanned` (a verification URL) is not on `public_url`, or None when it is."""
    expected = _origin(public_url)
    if expected is None:
        return f"the configured public URL {public_url!r} is not an http(s) URL"
    found = _origin(scanned)
    if found is None:
        return "the scanned text is not an http(s) URL"
    scheme, host, port, path = found
    want_scheme, want_host, want_port, want_path = expected
    shown = urlsplit(scanned.strip()).hostname or host
    if host != want_host:
        same_looking = f" (shown as {shown!r})" if shown != host else ""
        return f"host {host!r}{same_looking} is not the DipCheck host {want_host!r}"
    if (scheme, port) != (want_scheme, want_port):
        return f"address {scheme}://{host}{f':{port}' if port else ''} is not {public_url}"
    if not path.startswith(want_path.rstrip("/") + SCAN_PATH):
        return f"path does not start with {want_path.rstrip('/')}{SCAN_PATH}"
    return None
