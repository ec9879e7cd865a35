"""`dipcheck qr ...`: signing keys, printable codes, and the offline verifier.

    dipcheck qr keys create | rotate [--overlap-days N] | retire KID | list | export FILE
    dipcheck qr credential NUMBER [--out FILE] [--format svg|png] [--valid-days N]
    dipcheck qr vehicle PLATE [--out FILE] [--format svg|png] [--valid-days N]
    dipcheck qr sheet credential|vehicle [VALUE ...] [--from FILE] --out SHEET.html
    dipcheck qr verify TOKEN_OR_URL --keys KEYS.json [--json]

`verify` needs no app, no data directory and no network: only a published key set file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TextIO, TypeVar

import click
from flask import render_template
from flask.cli import AppGroup
from markupsafe import Markup

from lookup.config import current_settings
from lookup.extensions import search_backend
from lookup.qr import render
from lookup.qr.documents import DocumentKind, IssuedToken, LiveCheck, NotIssuable, issue, live_check
from lookup.qr.key_ring import keystore
from lookup.qr.keys import KeySet, KeyStore, KeyStoreError
from lookup.qr.origin import host_problem, is_url
from lookup.qr.receipts import describe_summary, verification_url
from lookup.qr.tokens import Verdict, extract_token, verify
from search_index.backend import BackendError

DEFAULT_OVERLAP_DAYS = 400  # longer than a registration year: codes printed just before rotation
MAX_SHEET_ITEMS = 2000
F = TypeVar("F", bound=Callable[..., Any])

qr_cli = AppGroup("qr", help="Signed QR codes: keys, printable codes, offline verification.")
keys_cli = AppGroup("keys", help="Create, rotate, retire and export the QR signing keys.")
qr_cli.add_command(keys_cli)


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def _keystore() -> KeyStore:
    return keystore()  # the app's ring; `verify` reads a keys file and needs no app


def _base_url(option: str | None) -> str:
    url = option or current_settings().public_url
    if not url:
        raise _fail("set DIPCHECK_PUBLIC_URL (or pass --base-url): printed codes link to it")
    if not url.startswith(("https://", "http://")):
        raise _fail("--base-url must start with https:// or http://")
    return url.rstrip("/")


# -- keys -------------------------------------------------------------------------------------


@keys_cli.command("create")
def keys_create() -> None:
    """Create the first signing key (refused when an active key exists)."""
    try:
        info = _keystore().create()
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    click.echo(f"created QR signing key {info.kid} (active) in {_keystore().directory}")


@keys_cli.command("rotate")
@click.option(
    "--overlap-days",
    type=click.IntRange(0, 3660),
    default=DEFAULT_OVERLAP_DAYS,
    show_default=True,
    help="How long codes signed by the old key keep verifying.",
)
def keys_rotate(overlap_days: int) -> None:
    """Make a new active key; the old one only verifies, until the overlap ends."""
    try:
        info = _keystore().rotate(timedelta(days=overlap_days))
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    click.echo(f"new active QR key {info.kid}; the previous key verifies for {overlap_days} days")


@keys_cli.command("retire")
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Retire a key now: codes it signed read "unknown key" from then on."""
    try:
        info = _keystore().retire(kid.strip().lower())
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    click.echo(f"retired QR key {info.kid}")


@keys_cli.command("list")
def keys_list() -> None:
    """Every key with its status as of now."""
    now = datetime.now(UTC)
    try:
        keys = _keystore().keys()
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    if not keys:
        click.echo("no QR keys yet: run `dipcheck qr keys create`")
    for info in keys:
        until = f" until {info.verify_until:%Y-%m-%d}" if info.verify_until else ""
        created = f"{info.created_at:%Y-%m-%d}"
        click.echo(f"{info.kid}  {info.status_at(now):<9}  created {created}{until}")


@keys_cli.command("export")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def keys_export(destination: Path) -> None:
    """Write the public key set (the same as /.well-known/dipcheck-keys.json) to a file."""
    try:
        data = _keystore().keyset().to_json(datetime.now(UTC), current_settings().public_url)
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    destination.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    click.echo(f"wrote {len(data['keys'])} public key(s) to {destination}")


# -- printable codes --------------------------------------------------------------------------


def _issue_many(
    kind: DocumentKind, values: list[str], lifetime: timedelta | None
) -> list[tuple[IssuedToken, LiveCheck]]:
    try:
        signer = _keystore().signer()
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    issued: list[tuple[IssuedToken, LiveCheck]] = []
    try:
        with search_backend().snapshot() as snapshot:
            settings = current_settings()
            today = settings.local_date()
            for value in values:
                try:
                    token = issue(
                        snapshot, kind, value, signer, zone=settings.zone(), lifetime=lifetime
                    )
                except NotIssuable as error:
                    raise _fail(f"{value}: {error}") from None
                issued.append((token, live_check(snapshot, token.claims, today)))
    except BackendError as error:
        raise _fail(f"cannot read the published data: {error.__class__.__name__}") from None
    return issued


def _last_day(issued: IssuedToken) -> str:
    """The last day a code is good on (in DIPCHECK_TIMEZONE): it expires at the first second
    after that day."""
    last_second = issued.claims.expires - timedelta(seconds=1)
    return last_second.astimezone(current_settings().zone()).date().isoformat()


def _lifetime(valid_days: int | None) -> timedelta | None:
    return timedelta(days=valid_days) if valid_days is not None else None


_COMMON = [
    click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None),
    click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default=None),
    click.option("--valid-days", type=click.IntRange(1, 5 * 366), default=None),
    click.option("--base-url", default=None, help="Default: DIPCHECK_PUBLIC_URL."),
]


def _with_common(function: F) -> F:
    for option in reversed(_COMMON):
        function = option(function)
    return function


def _write_code(
    kind: DocumentKind,
    value: str,
    out: Path | None,
    fmt: Literal["svg", "png"] | None,
    valid_days: int | None,
    base_url: str | None,
) -> None:
    base = _base_url(base_url)
    [(issued, _live)] = _issue_many(kind, [value], _lifetime(valid_days))
    chosen = fmt or (out.suffix.lower().lstrip(".") if out is not None else "svg")
    if chosen not in ("svg", "png"):
        raise _fail("--out must end in .svg or .png (or pass --format)")
    destination = out or Path(f"{kind}-{issued.subject}.{chosen}")
    url = verification_url(base, issued.token)
    try:
        content = render.image(url, "png" if chosen == "png" else "svg")
    except render.QrTooLarge as error:
        raise _fail(str(error)) from None
    destination.write_bytes(content)
    click.echo(f"wrote {destination} (QR {chosen}, valid through {_last_day(issued)})")


@qr_cli.command("credential")
@click.argument("number")
@_with_common
def credential_code(
    number: str,
    out: Path | None,
    fmt: Literal["svg", "png"] | None,
    valid_days: int | None,
    base_url: str | None,
) -> None:
    """A signed QR code for a State Department ID card number."""
    _write_code("credential", number, out, fmt, valid_days, base_url)


@qr_cli.command("vehicle")
@click.argument("plate")
@_with_common
def vehicle_code(
    plate: str,
    out: Path | None,
    fmt: Literal["svg", "png"] | None,
    valid_days: int | None,
    base_url: str | None,
) -> None:
    """A signed QR code for a diplomatic vehicle registration (by plate)."""
    _write_code("vehicle", plate, out, fmt, valid_days, base_url)


@dataclass(frozen=True)
class SheetLabel:
    heading: str
    lines: tuple[str, ...]
    svg: Markup


@qr_cli.command("sheet")
@click.argument("kind", type=click.Choice(["credential", "vehicle"]))
@click.argument("values", nargs=-1)
@click.option(
    "--from",
    "source",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="A file with one credential number or plate a line.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--valid-days", type=click.IntRange(1, 5 * 366), default=None)
@click.option("--base-url", default=None, help="Default: DIPCHECK_PUBLIC_URL.")
def sheet(
    kind: DocumentKind,
    values: tuple[str, ...],
    source: TextIO | None,
    out: Path,
    valid_days: int | None,
    base_url: str | None,
) -> None:
    """A printable HTML sheet of labelled codes for many credentials or plates."""
    wanted = list(values)
    if source is not None:
        wanted += [line.strip() for line in source if line.strip() and not line.startswith("#")]
    if not wanted:
        raise _fail("name at least one credential number or plate (or use --from FILE)")
    if len(wanted) > MAX_SHEET_ITEMS:
        raise _fail(f"at most {MAX_SHEET_ITEMS} codes per sheet")
    base = _base_url(base_url)
    labels = []
    for issued, live in _issue_many(kind, wanted, _lifetime(valid_days)):
        try:
            svg = render.svg(verification_url(base, issued.token))
        except render.QrTooLarge as error:
            raise _fail(str(error)) from None
        facts = dict(live.facts)
        expires = f"code valid through {_last_day(issued)}"
        if kind == "credential":
            lines = (facts.get("Name", ""), facts.get("Mission", ""), expires)
        else:
            vehicle = " ".join(facts.get(k, "") for k in ("Make", "Model", "Colour")).strip()
            lines = (vehicle, facts.get("Mission", ""), expires)
        # The SVG comes from the QR library, not from user input: safe to embed as markup.
        labels.append(SheetLabel(issued.subject, lines, Markup(svg)))  # noqa: S704
    html = render_template("qr/sheet.html", kind=kind, labels=labels, site=base)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({len(labels)} codes)")


# -- offline verification ---------------------------------------------------------------------


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail("--at must be an ISO time such as 2026-03-01T10:00:00Z") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@qr_cli.command("verify", with_appcontext=False)
@click.argument("scanned")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The published key set (/.well-known/dipcheck-keys.json, or `qr keys export`).",
)
@click.option(
    "--at",
    "at",
    default=None,
    help="Check as of this ISO time (UTC unless it says otherwise), e.g. a receipt's lookup "
    "time against the key set archived then. Default: now.",
)
@click.option(
    "--public-url",
    envvar="DIPCHECK_PUBLIC_URL",
    default=None,
    help="Where genuine codes point (default: DIPCHECK_PUBLIC_URL, else the keys file's "
    "issuer). A scanned URL on any other host is a look-alike.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_offline(
    scanned: str, keys_file: Path, at: str | None, public_url: str | None, as_json: bool
) -> None:
    """Verify a token or a scanned URL with only a keys file: no server, no network.

    A scanned URL whose address is not the public URL (a look-alike host, an extra subdomain,
    an internationalized homograph) is reported and the command fails, even when the token's
    signature is genuine. Exit status 0 when valid, 1 otherwise. The live record (revocation) is
    not checked offline."""
    try:
        keys = KeySet.from_file(keys_file)
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    expected = public_url or keys.issuer
    warning = _address_warning(scanned, expected)
    # Without any public URL to compare with, the warning stands but cannot fail the check.
    look_alike = warning is not None and bool(expected)
    result = verify(extract_token(scanned), keys, _moment(at))
    claims = result.shown_claims
    if warning is not None:
        click.echo(f"WARNING: {warning}", err=True)
    if as_json:
        out: dict[str, object] = {"result": result.verdict.value, "code": result.code}
        if warning is not None:
            out["address_warning"] = warning
        if claims is not None:
            out |= {
                "type": claims.kind,
                "subject": claims.subject,
                "issued_at": claims.issued.isoformat(),
                "expires_at": claims.expires.isoformat(),
                "kid": result.kid,
            }
            if claims.receipt is not None:
                out["receipt"] = {
                    "channel": claims.receipt.channel,
                    "query_kind": claims.receipt.query_kind,
                    "query": claims.receipt.query,
                    "outcome": claims.receipt.outcome,
                    "matches": claims.receipt.matches,
                    "summary": claims.receipt.summary,
                }
        click.echo(json.dumps(out))
    elif claims is None:
        click.echo(f"NOT VERIFIED: {result.verdict.value} ({result.code})")
        click.echo("This does not establish anyone's immunity status either way.")
    else:
        click.echo(f"VALID signature (key {result.kid}); the live record is not checked offline")
        click.echo(f"type: {claims.kind}")
        click.echo(f"subject: {claims.subject}")
        click.echo(f"issued: {claims.issued.isoformat()}")
        click.echo(f"expires: {claims.expires.isoformat()}")
        if claims.receipt is not None:
            facts = claims.receipt
            levels, insurance = describe_summary(facts.summary)
            click.echo(f"lookup: {facts.query_kind} {facts.query!r} on {facts.channel}")
            click.echo(f"result: {facts.outcome}, {facts.matches} match(es)")
            if levels:
                click.echo(f"immunity shown: {', '.join(levels)}")
            if insurance:
                click.echo(f"insurance shown: {insurance}")
    sys.exit(0 if result.verdict is Verdict.VALID and not look_alike else 1)


def _address_warning(scanned: str, public_url: str | None) -> str | None:
    """Why the scanned URL must not be trusted whatever its signature, or None. A bare token
    carries no address to check."""
    if not is_url(scanned):
        return None
    if not public_url:
        return (
            "cannot check the scanned address: set DIPCHECK_PUBLIC_URL or --public-url "
            "(the keys file names no issuer)"
        )
    problem = host_problem(scanned, public_url)
    if problem is None:
        return None
    return f"NOT A DIPCHECK ADDRESS: {problem}; treat the code as a look-alike"
