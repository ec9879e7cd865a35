"""`dipcheck qr ...`: keys, printable codes read back by a real decoder, sheets, offline verify."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lookup import create_app
from lookup.cli import cli
from lookup.extensions import search_backend
from lookup.qr import render
from lookup.qr.documents import issue
from lookup.qr.key_ring import keystore
from lookup.qr.tokens import extract_token
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE, small_dataset
from tests.lookup.qr.zbar import decode_png

PUBLIC_URL = "https://dipcheck.police.example.gov"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    app = create_app(data_dir=directory)
    with app.app_context():
        search_backend().publish(small_dataset())
    return directory


def _run(data_dir: Path, *args: str, public_url: str | None = PUBLIC_URL) -> Result:
    env = {"DIPCHECK_DATA_DIR": str(data_dir), "DIPCHECK_PUBLIC_URL": public_url or ""}
    return CliRunner().invoke(cli, ["qr", *args], env=env, catch_exceptions=False)


def test_key_lifecycle_commands(data_dir: Path, tmp_path: Path) -> None:
    created = _run(data_dir, "keys", "create")
    assert created.exit_code == 0, created.output
    again = _run(data_dir, "keys", "create")
    assert again.exit_code == 1
    assert "rotate" in again.output
    first_kid = created.output.split()[4]
    rotated = _run(data_dir, "keys", "rotate", "--overlap-days", "10")
    assert rotated.exit_code == 0
    listing = _run(data_dir, "keys", "list").output
    assert f"{first_kid}  verifying" in listing
    assert "active" in listing
    assert _run(data_dir, "keys", "retire", first_kid).exit_code == 0
    assert f"{first_kid}  retired" in _run(data_dir, "keys", "list").output
    assert _run(data_dir, "keys", "retire", "abcdef12").exit_code == 1
    exported = tmp_path / "keys.json"
    assert _run(data_dir, "keys", "export", str(exported)).exit_code == 0
    keys = json.loads(exported.read_text())
    assert len(keys["keys"]) == 1
    assert keys["issuer"] == PUBLIC_URL


def test_credential_png_decodes_and_verifies_offline(data_dir: Path, tmp_path: Path) -> None:
    _run(data_dir, "keys", "create")
    png = tmp_path / "card.png"
    result = _run(data_dir, "credential", DIPLOMAT_CREDENTIAL, "--out", str(png))
    assert result.exit_code == 0, result.output
    (url,) = decode_png(png.read_bytes())
    assert url.startswith(f"{PUBLIC_URL}/v/")
    assert render.build(url).version <= 12
    # The printed symbol itself: (17 + 4 * version + 2 * quiet zone) modules of 10 pixels.
    from PIL import Image

    with Image.open(png) as image:
        modules = image.width // 10 - 2 * render.BORDER_MODULES
    assert (modules - 17) % 4 == 0
    assert (modules - 17) // 4 <= 12

    keys_file = tmp_path / "keys.json"
    _run(data_dir, "keys", "export", str(keys_file))
    # The offline verifier: no data directory, no app, only the keys file.
    offline = CliRunner().invoke(
        cli,
        ["qr", "verify", url, "--keys", str(keys_file)],
        env={"DIPCHECK_DATA_DIR": "/nonexistent/x"},
    )
    assert offline.exit_code == 0, offline.output
    assert f"subject: {DIPLOMAT_CREDENTIAL}" in offline.output
    token = extract_token(url)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    refused = CliRunner().invoke(cli, ["qr", "verify", tampered, "--keys", str(keys_file)])
    assert refused.exit_code == 1
    assert "NOT VERIFIED: invalid" in refused.output
    assert DIPLOMAT_CREDENTIAL not in refused.output


def test_vehicle_svg_by_default(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(data_dir, "keys", "create")
    monkeypatch.chdir(tmp_path)
    result = _run(data_dir, "vehicle", "dvl-1234")
    assert result.exit_code == 0, result.output
    svg = (tmp_path / f"vehicle-{DIPLOMAT_PLATE}.svg").read_text()
    assert svg.startswith("<svg")


def test_refusals_are_one_line(data_dir: Path) -> None:
    no_key = _run(data_dir, "credential", DIPLOMAT_CREDENTIAL)
    assert no_key.exit_code == 1
    assert "qr keys create" in no_key.output
    _run(data_dir, "keys", "create")
    for args, message in [
        (("credential", "ZZ000000"), "no person holds"),
        (("credential", "OF900001"), "recorded as expired"),
        (("vehicle", "NOPE99"), "no vehicle"),
        (("credential", DIPLOMAT_CREDENTIAL, "--out", "x.gif"), ".svg or .png"),
    ]:
        result = _run(data_dir, *args)
        assert result.exit_code == 1, args
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
    unset = _run(data_dir, "credential", DIPLOMAT_CREDENTIAL, public_url=None)
    assert unset.exit_code == 1
    assert "DIPCHECK_PUBLIC_URL" in unset.output


def test_printable_sheet(data_dir: Path, tmp_path: Path) -> None:
    _run(data_dir, "keys", "create")
    plates = tmp_path / "plates.txt"
    plates.write_text("# fleet\nDVL1234\nCCR0581\n")
    sheet = tmp_path / "sheet.html"
    result = _run(data_dir, "sheet", "vehicle", "DVL77", "--from", str(plates), "--out", str(sheet))
    assert result.exit_code == 0, result.output
    html = sheet.read_text()
    assert html.count("<svg") == 3
    for plate in ("DVL77", "DVL1234", "CCR0581"):
        assert f'<p class="subject">{plate}</p>' in html
    assert "Tatra" in html
    assert "<script" not in html
    assert f"Verify only at {PUBLIC_URL}" in html


@pytest.mark.parametrize(
    "address",
    [
        "https://dipcheck.po1ice.example.gov",  # a look-alike spelling
        "https://dipcheck.p\u043elice.example.gov",  # Cyrillic o: an IDN homograph
        "https://xn--dipcheck-xyz.police.example.gov",
        "https://dipcheck.police.example.gov.evil.example",  # our name as a subdomain
        "https://evil.dipcheck.police.example.gov",  # an extra subdomain
        "https://dipcheck.police.example.gov@evil.example",  # user-info trick
        "http://dipcheck.police.example.gov",  # downgraded to http
        "https://dipcheck.police.example.gov:8443",
    ],
)
def test_verify_refuses_a_genuine_token_behind_a_look_alike_address(
    data_dir: Path, tmp_path: Path, address: str
) -> None:
    _run(data_dir, "keys", "create")
    url = _issued_url(data_dir)
    keys_file = tmp_path / "keys.json"
    _run(data_dir, "keys", "export", str(keys_file))
    token = extract_token(url)
    offline_env = {"DIPCHECK_DATA_DIR": "/nonexistent/x", "DIPCHECK_PUBLIC_URL": ""}

    def offline(scanned: str, *extra: str) -> Result:
        return CliRunner().invoke(
            cli, ["qr", "verify", scanned, "--keys", str(keys_file), *extra], env=offline_env
        )

    genuine = offline(url)  # the keys file's issuer names the genuine host
    assert genuine.exit_code == 0, genuine.output
    assert "WARNING" not in genuine.output
    assert offline(token).exit_code == 0  # a bare token has no address to check

    forged = offline(f"{address}/v/{token}")
    assert forged.exit_code == 1
    assert "NOT A DIPCHECK ADDRESS" in forged.output
    as_json = offline(f"{address}/v/{token}", "--json")
    assert as_json.exit_code == 1
    assert "look-alike" in json.loads(as_json.output.splitlines()[-1])["address_warning"]
    # With the deployment's configured public URL (the app's own check), the same answer.
    configured = CliRunner().invoke(
        cli,
        ["qr", "verify", f"{address}/v/{token}", "--keys", str(keys_file)],
        env={"DIPCHECK_DATA_DIR": str(data_dir), "DIPCHECK_PUBLIC_URL": PUBLIC_URL},
    )
    assert configured.exit_code == 1
    assert "NOT A DIPCHECK ADDRESS" in configured.output


def _issued_url(data_dir: Path) -> str:
    """A genuine verification URL, issued as `qr credential` does (no decoder needed)."""
    app = create_app(data_dir=data_dir, public_url=PUBLIC_URL)
    with app.app_context(), search_backend().snapshot() as snapshot:
        signer = keystore().signer()
        issued = issue(snapshot, "credential", DIPLOMAT_CREDENTIAL, signer, zone=UTC)
    return f"{PUBLIC_URL}/v/{issued.token}"
