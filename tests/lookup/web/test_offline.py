"""The offline app's routes and headers: the worker, the manifest, the bundle the worker caches
(public, session-free pages only, versioned by their sources), the vendored QR decoder, and the
size of the bundle as the README states it."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
from flask import Flask
from PIL import Image

from lookup.rules.immunity import DEFAULT_MATRIX_PATH
from lookup.web.security import VERIFIER_POLICY, WORKER_POLICY
from tests.browser import ROOT, skip_or_fail
from tests.lookup.conftest import AppFactory
from tests.lookup.web.conftest import Clock, make_officer, sign_in

STATIC = ROOT / "lookup" / "web" / "static"


def bundle_of(app: Flask) -> dict[str, object]:
    body = app.test_client().get("/offline/bundle.json").get_json()
    assert isinstance(body, dict)
    return body


def test_worker_is_served_from_the_root_with_its_own_policy(web_app: Flask) -> None:
    response = web_app.test_client().get("/service-worker.js?v=abc")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Content-Security-Policy"] == WORKER_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data == (STATIC / "offline" / "service-worker.js").read_bytes()


def test_pages_link_the_manifest_and_register_the_versioned_worker(web_app: Flask) -> None:
    client = web_app.test_client()
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert '<link rel="manifest" href="/web-static/offline/manifest.webmanifest">' in html
    version = bundle_of(web_app)["version"]
    assert f'data-worker="/service-worker.js?v={version}"' in html
    assert "manifest-src 'self'" in page.headers["Content-Security-Policy"]
    assert "connect-src" not in page.headers["Content-Security-Policy"]
    assert page.headers["Permissions-Policy"].startswith("camera=()")


def test_offline_pages_headers(web_app: Flask) -> None:
    client = web_app.test_client()
    offline_page = client.get("/offline")
    assert offline_page.status_code == 200
    assert offline_page.headers["Permissions-Policy"].startswith("camera=()")
    verifier = client.get("/offline/verify")
    assert verifier.status_code == 200
    # The verifier alone may use the camera and fetch (the key set, the revocation list).
    assert verifier.headers["Content-Security-Policy"] == VERIFIER_POLICY
    assert "connect-src 'self'" in VERIFIER_POLICY
    assert verifier.headers["Permissions-Policy"].startswith("camera=(self)")
    assert "'unsafe-inline'" not in VERIFIER_POLICY
    html = verifier.get_data(as_text=True)
    assert '<script type="module" src="/web-static/offline/verifier.js">' in html
    assert "<script>" not in html


def test_manifest_and_icons(web_app: Flask) -> None:
    client = web_app.test_client()
    response = client.get("/web-static/offline/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    base = "http://localhost/web-static/offline/manifest.webmanifest"
    assert urljoin(base, manifest["start_url"]) == "http://localhost/"
    assert urljoin(base, manifest["scope"]) == "http://localhost/"
    for icon in manifest["icons"]:
        picture = client.get(urljoin(base, icon["src"]).removeprefix("http://localhost"))
        assert picture.status_code == 200
        width, height = Image.open(io.BytesIO(picture.data)).size
        assert icon["sizes"] == f"{width}x{height}"


def test_offline_pages_hold_nothing_of_the_signed_in_officer(web_app: Flask, clock: Clock) -> None:
    anonymous = web_app.test_client()
    ada = make_officer(web_app, "ada")
    client = web_app.test_client()
    assert sign_in(client, ada, clock).status_code == 303
    for path in ("/offline", "/offline/verify"):
        signed_in = client.get(path).get_data(as_text=True)
        assert signed_in == anonymous.get(path).get_data(as_text=True)
        assert "csrf_token" not in signed_in
        assert "Sign out" not in signed_in
        assert "Ada" not in signed_in


def test_offline_page_has_the_call_and_the_matrix(web_app: Flask) -> None:
    html = web_app.test_client().get("/offline").get_data(as_text=True)
    assert 'class="button call" href="tel:' in html
    for level in ("full", "official_acts", "none", "unverified"):
        assert f'data-level="{level}"' in html
    assert "Do not arrest or detain." in html
    assert 'href="/outreach/pocket-card"' in html


def test_bundle_is_public_and_never_an_answer(web_app: Flask) -> None:
    bundle = bundle_of(web_app)
    urls = bundle["urls"]
    assert isinstance(urls, list)
    assert set(bundle["data"]) <= set(urls)  # type: ignore[arg-type]
    assert "/outreach/pocket-card" in urls
    assert "/.well-known/dipcheck-revocations.json" in urls
    anonymous = web_app.test_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
    assert not [url for url in urls if re.search(r"/lookup|/api/|/v/|/login|/audit", url)]


def test_version_follows_the_files_the_bundle_is_made_from(
    make_app: AppFactory, tmp_path: Path
) -> None:
    matrix = tmp_path / "matrix.yaml"
    shutil.copyfile(DEFAULT_MATRIX_PATH, matrix)
    same = bundle_of(make_app(IMMUNITY_MATRIX_PATH=str(matrix)))["version"]
    assert same == bundle_of(make_app())["version"]
    matrix.write_text(matrix.read_text() + "\n# a comment changes the file\n")
    assert bundle_of(make_app(IMMUNITY_MATRIX_PATH=str(matrix)))["version"] != same
    assert bundle_of(make_app(verify_phone="+1 202 555 0100"))["version"] != same


def test_vendored_decoder_is_the_pinned_one_with_its_licence() -> None:
    vendored = STATIC / "offline" / "vendor"
    assert "Apache License" in (vendored / "jsQR.LICENSE").read_text()
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["jsqr"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "pin an exact version"
    installed = ROOT / "node_modules" / "jsqr"
    if not installed.is_dir():
        skip_or_fail("jsqr is not installed in node_modules (make system-deps)")
    assert json.loads((installed / "package.json").read_text())["version"] == pinned
    assert (vendored / "jsQR.js").read_bytes() == (installed / "dist" / "jsQR.js").read_bytes()
    assert (vendored / "jsQR.LICENSE").read_bytes() == (installed / "LICENSE").read_bytes()


def test_readme_states_the_bundle_size(web_app: Flask) -> None:
    client = web_app.test_client()
    urls = bundle_of(web_app)["urls"]
    assert isinstance(urls, list)
    total = sum(len(client.get(url).data) for url in urls)
    stated = re.search(r"offline bundle[^.]*?about (\d+) KB", (ROOT / "README.md").read_text())
    assert stated, "README.md states the offline bundle's size as 'about N KB'"
    assert int(stated.group(1)) == pytest.approx(total / 1024, rel=0.1)
