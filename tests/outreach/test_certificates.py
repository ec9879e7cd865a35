"""Certificates carry a number and a QR code signed with the QR key ring; scanning it opens the
ordinary /v/ page as a "certificate", and a tampered code gets the invalid screen."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lookup.qr.key_ring import keystore
from lookup.qr.keys import KeySet, KeyStore
from lookup.qr.tokens import CertificateFacts, Claims, TokenFormatError, sign, verify
from tests.lookup.qr.zbar import decode_png
from tests.outreach.conftest import new_trainer, sign_in
from tests.outreach.test_trainer_flow import join, join_code, open_session

PUBLIC_URL = "https://dipcheck.example.org"


@pytest.fixture
def signed_app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(public_url=PUBLIC_URL, QR_RATELIMIT="1000/minute")
    with app.app_context():
        keystore().create(now=datetime.now(UTC) - timedelta(days=1))
    return app


def _certificates(app: Flask) -> tuple[FlaskClient, str, str]:
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app, "ana", "Ana Trainer"))
    session_id = open_session(trainer, hours="2.5")
    code = join_code(trainer, session_id)
    join(app, code, "Dana Reyes", "4411")
    join(app, code, "Sam Ortiz", "5522")
    page = trainer.get(f"/outreach/trainer/sessions/{session_id}/certificates")
    assert page.status_code == 200
    return trainer, session_id, page.get_data(as_text=True)


def _scanned(html: str, badge: str) -> str:
    """What a phone reads from the certificate's printed QR code (zbar on the PNG)."""
    article = re.search(rf'data-attendee="{badge}">(.*?)</article>', html, re.S)
    assert article
    image = re.search(r'src="data:image/png;base64,([^"]+)"', article.group(1))
    assert image
    found = decode_png(base64.b64decode(image.group(1)))
    assert len(found) == 1
    return found[0]


def test_a_certificates_qr_verifies_on_the_v_page(signed_app: Flask) -> None:
    trainer, session_id, html = _certificates(signed_app)
    assert html.count('class="certificate"') == 2
    assert "signature-line" in html
    assert "Ana Trainer" in html
    url = _scanned(html, "4411")
    assert url.startswith(f"{PUBLIC_URL}/v/")
    number = re.search(r'data-attendee="4411">.*?class="certificate-number">([^<]+)<', html, re.S)
    assert number
    assert number.group(1).startswith("TC-")

    scanner = signed_app.test_client()
    page = scanner.get(urlsplit(url).path, headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Verified" in text
    assert "Training certificate" in text
    assert number.group(1) in text
    assert "Dana Reyes" in text
    assert "<dd>2.5</dd>" in text
    as_json = scanner.get(urlsplit(url).path, headers={"Accept": "application/json"}).get_json()
    assert as_json["result"] == "valid"
    assert as_json["document"]["type"] == "certificate"
    facts = {fact["label"]: fact["value"] for fact in as_json["document"]["facts"]}
    assert facts["Awarded to"] == "Dana Reyes"
    assert facts["Certificate number"] == number.group(1)
    # The same attendee gets the same number when the page is printed again.
    again = trainer.get(f"/outreach/trainer/sessions/{session_id}/certificates")
    assert number.group(1) in again.get_data(as_text=True)


def test_a_tampered_certificate_gets_the_invalid_screen(signed_app: Flask) -> None:
    _, _, html = _certificates(signed_app)
    token = urlsplit(_scanned(html, "5522")).path.rsplit("/", 1)[1]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    hours_at = raw.index(b"Sam Ortiz") + len("Sam Ortiz")
    raw[hours_at + 1] += 10  # one more hour of credit, signature unchanged
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode("ascii")
    page = signed_app.test_client().get(f"/v/{forged}", headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert "Could not be verified: invalid code" in text
    assert "Sam Ortiz" not in text
    assert "QR-SIGNATURE" in text

    other = KeyStore(Path(signed_app.config["DATA_DIR"]) / "elsewhere")
    other.create(now=datetime.now(UTC) - timedelta(days=1))
    facts = CertificateFacts("Sam Ortiz", 250, date(2026, 3, 14))
    now = int(datetime.now(UTC).timestamp())
    outsider = sign(
        Claims("certificate", "TC-FAKE", now, now + 3600, certificate=facts), other.signer()
    )
    scanned = signed_app.test_client().get(f"/v/{outsider}", headers={"Accept": "text/html"})
    text = scanned.get_data(as_text=True)
    assert "unknown signing key" in text
    assert "TC-FAKE" not in text


def test_certificate_claims_round_trip_and_go_with_their_kind_only(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.create(now=datetime.now(UTC) - timedelta(days=1))
    now = int(datetime.now(UTC).timestamp())
    facts = CertificateFacts("Zoë Ångström " * 5, 15, date(2026, 2, 28))
    token = sign(
        Claims("certificate", "TC-ABC", now, 0xFFFFFFFF, certificate=facts), store.signer()
    )
    checked = verify(token, KeySet(store.keys()))
    assert checked.claims is not None
    awarded = checked.claims.certificate
    assert awarded is not None
    assert awarded.hours_tenths == 15
    assert awarded.held_on == date(2026, 2, 28)
    assert len(awarded.holder.encode()) <= 32  # cut to fit, on a character boundary
    assert facts.holder.startswith(awarded.holder)
    with pytest.raises(TokenFormatError):
        sign(Claims("credential", "X", now, now + 1, certificate=facts), store.signer())
    with pytest.raises(TokenFormatError):
        sign(Claims("certificate", "X", now, now + 1), store.signer())


def test_without_a_signing_key_certificates_say_so(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    _, _, html = _certificates(app)
    assert 'id="certificate-problem"' in html
    assert html.count('class="certificate"') == 2


def test_a_long_public_url_cuts_the_name_in_the_code_not_on_the_paper(
    make_app: Callable[..., Flask],
) -> None:
    long_url = "https://outreach-training.dipcheck.state.example.gov"
    app = make_app(public_url=long_url, QR_RATELIMIT="1000/minute")
    with app.app_context():
        keystore().create(now=datetime.now(UTC) - timedelta(days=1))
    trainer = app.test_client()
    sign_in(trainer, "ana", new_trainer(app))
    session_id = open_session(trainer)
    name = "Maximiliana Alexandra Featherstonehaugh-Worthington"
    join(app, join_code(trainer, session_id), name, "7001")
    html = trainer.get(f"/outreach/trainer/sessions/{session_id}/certificates").get_data(
        as_text=True
    )
    assert 'id="certificate-problem"' not in html
    assert name in html  # the paper keeps the whole name
    url = _scanned(html, "7001")
    assert url.startswith(f"{long_url}/v/")
    page = app.test_client().get(urlsplit(url).path, headers={"Accept": "application/json"})
    facts = {fact["label"]: fact["value"] for fact in page.get_json()["document"]["facts"]}
    assert name.startswith(facts["Awarded to"])
    assert 0 < len(facts["Awarded to"]) < len(name)
