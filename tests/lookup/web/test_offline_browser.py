"""The offline app in Debian's Chromium at a phone's 360 x 740: the service worker installs from an
officer page, then the server is stopped and the context set offline, and the phone still shows
the offline page (call button in the first viewport, the matrix) and verifies QR codes from
pictures: a genuine one as valid, a tampered one as invalid, a revoked one as revoked. The
JavaScript verifier is also run against the Python one on every kind of token, valid or broken.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from PIL import Image

from lookup import create_app
from lookup.answers.phone_links import tel_href
from lookup.config import current_settings
from lookup.extensions import search_backend
from lookup.qr import render, revocations
from lookup.qr.documents import issue
from lookup.qr.keys import KeySet, SigningKey, kid_for
from lookup.qr.origin import host_problem
from lookup.qr.tokens import (
    SIGNING_CONTEXT,
    CertificateFacts,
    Claims,
    ReceiptFacts,
    encode_claims,
    extract_token,
    sign,
    verify,
)
from lookup.qr.views import keystore
from tests.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    ROOT,
    axe_violations,
    served,
    without_dipcheck_environment,
)
from tests.factories import DIPLOMAT_CREDENTIAL, DIPLOMAT_PLATE
from tests.lookup.web.conftest import GENEROUS_LIMITS, web_dataset

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("axe_available")]

VIEWPORT = {"width": 360, "height": 740}
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
REVOKED_CREDENTIAL = "OF900001"  # accreditation pending: the live check calls it revoked
# Scanned addresses: {site} is the app's own. The first two are genuine, the rest look-alikes.
_ADDRESSES = (
    "{site}/v/TOKEN",
    "  {site}/v/TOKEN?utm=1#x ",
    "{site}.evil.example/v/TOKEN",
    "http://user@evil.example/v/TOKEN",
    "https://{host}/v/TOKEN",
    "{site}/other/v/TOKEN",
    "http://xn--dpcheck-o2a.example/v/TOKEN",
    "ftp://{host}/v/TOKEN",
)


@dataclass(frozen=True)
class Offline:
    url: str
    app: Flask
    key: SigningKey
    genuine: str  # a credential token issued by the app
    stack: ExitStack  # closing it stops the server


@pytest.fixture
def offline_site(tmp_path: Path) -> Iterator[Offline]:
    with without_dipcheck_environment():
        app = create_app(data_dir=tmp_path, TESTING=True, **GENEROUS_LIMITS)
        with app.app_context():
            search_backend().publish(web_dataset())
            keystore().create()
            key = keystore().signer()
            with search_backend().snapshot() as snapshot:
                genuine = issue(
                    snapshot,
                    "credential",
                    DIPLOMAT_CREDENTIAL,
                    key,
                    zone=current_settings().zone(),
                ).token
        with ExitStack() as stack:
            url = stack.enter_context(served(app))
            try:
                yield Offline(url, app, key, genuine, stack)
            finally:
                stack.close()
                with app.app_context():
                    search_backend().close()


def new_context(browser: Any, *, bypass_csp: bool = False) -> Any:
    return browser.new_context(
        viewport=VIEWPORT,
        device_scale_factor=2,
        has_touch=True,
        is_mobile=True,
        bypass_csp=bypass_csp,
    )


def worker_ready(page: Any) -> int:
    """Waits until the worker is active; returns how many URLs its cache holds."""
    return int(
        page.evaluate(
            """async () => {
                const registration = await navigator.serviceWorker.ready;
                const names = (await caches.keys())
                    .filter((name) => name.startsWith('dipcheck-offline-'));
                if (!registration.active || names.length !== 1) { return -1; }
                return (await (await caches.open(names[0])).keys()).length;
            }"""
        )
    )


def qr_png(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.png"
    path.write_bytes(render.png(text, box_size=6))
    return path


def tampered(token: str) -> str:
    """One character of the signed payload changed (a digit of the card number's region), so the
    token still decodes but its signature no longer matches."""
    index = 24  # inside the subject, well before the signature
    swapped = "A" if token[index] != "A" else "B"
    return token[:index] + swapped + token[index + 1 :]


def shown(page: Any) -> dict[str, str]:
    result = page.locator("#result")
    result.wait_for(state="visible")
    return {
        "verdict": result.locator(".verdict").inner_text(),
        "title": result.locator("h2").inner_text(),
        "text": result.inner_text(),
    }


def test_offline_page_and_qr_verifier_work_with_no_network(
    browser: Any, offline_site: Offline, tmp_path: Path
) -> None:
    site = offline_site
    with site.app.app_context():
        bundle_size = len(site.app.test_client().get("/offline/bundle.json").get_json()["urls"])
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{site.url}/login")
    # The sign-in page registers the worker; it caches the whole bundle before it activates.
    assert worker_ready(page) == bundle_size + 1  # the bundle's list itself is kept too

    genuine_url = f"{site.url}/v/{site.genuine}"
    with site.app.app_context():
        now = int(datetime.now(UTC).timestamp())
        revoked = sign(Claims("credential", REVOKED_CREDENTIAL, now - 60, now + 86400), site.key)
    pictures = {
        "genuine": qr_png(tmp_path, "genuine", genuine_url),
        "tampered": qr_png(tmp_path, "tampered", f"{site.url}/v/{tampered(site.genuine)}"),
        "revoked": qr_png(tmp_path, "revoked", f"{site.url}/v/{revoked}"),
    }

    site.stack.close()  # the server is gone
    context.set_offline(True)
    page.goto(f"{site.url}/lookup")  # any officer page: the worker answers with the offline page
    assert page.locator("h1").inner_text() == "Offline: no lookups now"
    call = page.locator("main a.call")
    with site.app.app_context():
        phone = current_settings().verify_phone
    assert call.inner_text() == f"Call {phone} to verify (24/7)"
    assert call.get_attribute("href") == tel_href(phone)
    box = call.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= VIEWPORT["height"]
    matrix = page.get_by_role("region", name="Immunity matrix", exact=True)
    assert matrix.is_visible()
    full = matrix.get_by_role("region", name="Full immunity")
    assert "Arrest or detain" in full.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "offline-page.png"), full_page=True)

    page.goto(f"{site.url}/outreach/pocket-card")
    assert page.locator("article.pocket-card").is_visible()

    page.goto(f"{site.url}/offline/verify")
    status = page.locator("#data-status")
    status.filter(has_text="Ready").wait_for()
    picker = page.get_by_label("Or choose a photo of the code")

    picker.set_input_files(str(pictures["genuine"]))
    result = shown(page)
    assert result["verdict"] == "\u2714 VALID"
    assert result["title"] == "Verified"
    assert DIPLOMAT_CREDENTIAL in result["text"]
    assert "Offline check: revocations known as of" in result["text"]
    page.screenshot(path=str(SCREENSHOTS / "offline-verifier-valid.png"), full_page=True)

    picker.set_input_files(str(pictures["tampered"]))
    page.locator("#result h2", has_text="invalid code").wait_for()
    result = shown(page)
    assert result["verdict"] == "\u2716 NOT VERIFIED"
    assert "QR-SIGNATURE" in result["text"]
    assert DIPLOMAT_CREDENTIAL not in result["text"]

    picker.set_input_files(str(pictures["revoked"]))
    page.locator("#result h2", has_text="document no longer valid").wait_for()
    assert REVOKED_CREDENTIAL not in shown(page)["text"]
    context.close()


def test_offline_pages_are_accessible(browser: Any, offline_site: Offline) -> None:
    page = new_context(browser, bypass_csp=True).new_page()  # only so axe-core can be injected
    for path in ("/offline", "/offline/verify"):
        page.goto(f"{offline_site.url}{path}")
        assert axe_violations(page) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORT["width"]
    page.locator("#data-status").filter(has_text="Ready").wait_for()
    page.get_by_label("Or choose a photo of the code").set_input_files(
        files=[{"name": "code.png", "mimeType": "image/png", "buffer": render.png("x")}]
    )
    page.locator("#result").wait_for(state="visible")
    assert axe_violations(page) == []  # the result box too
    page.context.close()


def _signed_body(key: SigningKey, body: bytes) -> str:
    """A token whose signature is genuine whatever the body holds (to reach the checks that come
    after the signature)."""
    raw = body + key.private_key.sign(SIGNING_CONTEXT + body)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _tokens(key: SigningKey, now: int) -> dict[str, str]:
    """Tokens of every kind and every way of failing, named."""
    card = Claims("credential", DIPLOMAT_CREDENTIAL, now - 60, now + 86400)
    genuine = sign(card, key)
    other = Ed25519PrivateKey.generate()
    stranger = SigningKey(kid_for(other.public_key().public_bytes_raw()), other)
    body = encode_claims(card, key.kid)
    receipt = Claims(
        "receipt",
        "DC-7K2QM-9XR4B",
        now - 3600,
        now + 86400,
        receipt=ReceiptFacts("web", "plate", "match", 2, "DVL 1234", "FO/A"),
    )
    certificate = Claims(
        "certificate",
        "CERT-0001",
        now - 3600,
        now + 86400,
        certificate=CertificateFacts("Ana Łukasz", 35, date(2026, 3, 1)),
    )
    return {
        "credential": genuine,
        "vehicle": sign(Claims("vehicle", DIPLOMAT_PLATE, now - 60, now + 86400), key),
        "receipt": sign(receipt, key),
        "certificate": sign(certificate, key),
        "expired": sign(Claims("credential", "DA1", now - 7200, now - 1), key),
        "not yet valid": sign(Claims("credential", "DA1", now + 3600, now + 7200), key),
        "within clock skew": sign(Claims("credential", "DA1", now + 200, now + 7200), key),
        "unknown key": sign(card, stranger),
        "tampered": tampered(genuine),
        "signature flipped": genuine[:-3] + ("A" if genuine[-3] != "A" else "B") + genuine[-2:],
        "version 2": _signed_body(key, b"\x02" + body[1:]),
        "type X": _signed_body(key, body[:1] + b"X" + body[2:]),
        "trailing byte": _signed_body(key, body + b"\x00"),
        "subject too long": _signed_body(key, body[:14] + b"\xff" + body[15:]),
        "bad utf-8": _signed_body(key, body[:14] + b"\x02\xc3\x28" + body[15 + body[14] :]),
        "issued after expiry": _signed_body(
            key, body[:6] + struct.pack(">II", now + 10, now) + body[14:]
        ),
        "not base64url": genuine[:10] + "+" + genuine[11:],
        "non-canonical": genuine[:-1] + chr(ord(genuine[-1]) ^ 1),
        "too short": genuine[:40],
        "too long": genuine + "A" * 400,
        "empty": "",
    }


def test_javascript_verifier_agrees_with_the_python_one(
    browser: Any, offline_site: Offline
) -> None:
    site = offline_site
    now = int(datetime.now(UTC).timestamp())
    tokens = _tokens(site.key, now)
    with site.app.app_context():
        keys = KeySet(keystore().keys(), issuer=site.url)
        moment = datetime.fromtimestamp(now, UTC)
        expected = {name: verify(token, keys, moment) for name, token in tokens.items()}
        entry = revocations.entry("credential", REVOKED_CREDENTIAL)
    addresses = [a.format(site=site.url, host=site.url.split("://")[1]) for a in _ADDRESSES]
    page = new_context(browser).new_page()
    page.goto(f"{site.url}/offline/verify")
    found = page.evaluate(
        """async ([tokens, now, urls]) => {
            const m = await import('/web-static/offline/token.js');
            const format = JSON.parse(document.getElementById('verifier').dataset.format);
            const published = await fetch('/.well-known/dipcheck-keys.json');
            const keys = await m.readKeySet(await published.json());
            const out = {};
            for (const [name, token] of Object.entries(tokens)) {
                const r = await m.verifyToken(token, keys, now, format);
                out[name] = [r.verdict, r.code, r.kid, r.claims && r.claims.subject];
            }
            const revoked = await m.revocationEntry(67, 'OF900001', format);
            const hosts = urls.map((url) => m.hostProblem(url, keys.issuer, format) === null);
            const extracted = urls.map((url) => m.extractToken(url, format));
            return {out, revoked, hosts, extracted};
        }""",
        [tokens, now, addresses],
    )
    for name, result in expected.items():
        claims = result.claims
        assert found["out"][name] == [
            result.verdict.value,
            result.code,
            result.kid,
            claims.subject if claims is not None else None,
        ], name
    assert found["revoked"] == entry
    assert found["hosts"] == [host_problem(url, site.url) is None for url in addresses]
    assert found["hosts"][:2] == [True, True]  # the genuine addresses pass
    assert not any(found["hosts"][2:])
    assert found["extracted"] == [extract_token(url) for url in addresses]
    page.context.close()


def fake_camera(tmp_path: Path, text: str) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a QR code held in front of the lens."""
    code = Image.open(io.BytesIO(render.png(text, box_size=5))).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    planes = luma.tobytes() + blue.resize((320, 240)).tobytes() + red.resize((320, 240)).tobytes()
    path = tmp_path / "camera.y4m"
    with path.open("wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            video.write(b"FRAME\n" + planes)
    return path


def test_camera_scan(browser: Any, offline_site: Offline, tmp_path: Path) -> None:
    """The camera path: Chromium's fake camera shows the genuine code; the scan stops the
    camera and shows the verdict."""
    video = fake_camera(tmp_path, f"{offline_site.url}/v/{offline_site.genuine}")
    switches = (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    # A second Chromium with a camera, from the module's Playwright (one per thread).
    camera_browser = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*LAUNCH_ARGS, *switches]
    )
    try:
        context = new_context(camera_browser)
        context.grant_permissions(["camera"], origin=offline_site.url)
        page = context.new_page()
        page.goto(f"{offline_site.url}/offline/verify")
        page.locator("#data-status").filter(has_text="Ready").wait_for()
        page.get_by_role("button", name="Scan with the camera").click()
        page.locator("#result h2", has_text="Verified").wait_for()
        assert DIPLOMAT_CREDENTIAL in page.locator("#result").inner_text()
        assert page.locator("#camera").is_hidden()  # the camera is off again
        assert page.evaluate("() => document.getElementById('camera').srcObject") is None
    finally:
        camera_browser.close()


def test_a_new_version_replaces_the_cache(browser: Any, offline_site: Offline) -> None:
    """A deploy changes the worker's URL (?v=): the new worker caches the bundle afresh and
    deletes the old cache on activation."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{offline_site.url}/offline")
    assert worker_ready(page) > 0
    names = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.register(
                '/service-worker.js?v=next-deploy');
            const worker = registration.installing || registration.waiting || registration.active;
            if (worker.state !== 'activated') {
                await new Promise((done) => worker.addEventListener('statechange',
                    () => worker.state === 'activated' && done()));
            }
            return await caches.keys();
        }"""
    )
    assert names == ["dipcheck-offline-next-deploy"]
    context.close()
