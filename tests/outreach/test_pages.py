"""The public outreach pages: decks, handouts, pocket card, scenarios and the matrix page, which
follows the rules file; content is escaped, pages work offline and every internal link resolves."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import yaml
from flask import Flask
from flask.testing import FlaskClient

from lookup.rules.immunity import DEFAULT_MATRIX_PATH
from outreach.content import load_content
from tests.outreach.conftest import CONTENT_DIR, replace_in

PUBLIC_PAGES = (
    "/outreach/",
    "/outreach/matrix",
    "/outreach/handouts",
    "/outreach/pocket-card",
    "/outreach/scenarios",
    "/outreach/request",
    "/outreach/join",
    "/outreach/training/",
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if tag == "script":
            self.scripts.append(found)
        if tag in ("link", "script", "img") and (found.get("href") or found.get("src")):
            self.assets.append(str(found.get("href") or found.get("src")))


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def cell(html: str, category: str, action: str) -> str:
    row = re.search(rf'<tr data-category="{category}">(.*?)</tr>', html, re.S)
    assert row, category
    value = re.search(rf'data-action="{action}" data-value="([^"]+)"', row.group(1))
    assert value, action
    return value.group(1)


def test_every_public_page_answers(client: FlaskClient) -> None:
    for path in PUBLIC_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response.headers
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_decks_are_slides_with_external_script_and_no_outside_assets(
    client: FlaskClient, matrix: object
) -> None:
    content = load_content(CONTENT_DIR, matrix)  # type: ignore[arg-type]
    for deck in content.decks.values():
        html = client.get(f"/outreach/decks/{deck.meta.id}").get_data(as_text=True)
        assert html.count('<section class="slide"') == len(deck.slides)
        links = parse(html)
        assert [s.get("src") for s in links.scripts] == ["/outreach/static/slides.js"]
        assert all(asset.startswith("/") for asset in links.assets), links.assets
        assert 'media="print"' in html
    assert client.get("/outreach/static/slides.js").status_code == 200
    print_css = client.get("/outreach/static/print.css").get_data(as_text=True)
    assert "break-after: page" in print_css


def test_every_internal_link_resolves(client: FlaskClient) -> None:
    seen: set[str] = set()
    queue = list(PUBLIC_PAGES)
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code in (200, 302), f"{path}: {response.status_code}"
        if response.mimetype != "text/html":
            continue
        for href in parse(response.get_data(as_text=True)).hrefs:
            target = href.split("#")[0]
            if target.startswith("/outreach/") and "/trainer/" not in target:
                queue.append(target)
    assert any(p.startswith("/outreach/decks/") for p in seen)
    assert any(p.startswith("/outreach/handouts/") for p in seen)
    assert any(p.startswith("/outreach/scenarios/") for p in seen)


def test_matrix_page_follows_the_rules_file(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    shipped = make_app().test_client().get("/outreach/matrix").get_data(as_text=True)
    assert cell(shipped, "diplomatic_agent", "arrest_or_detain") == "no"
    assert cell(shipped, "service_staff", "prosecute") == "official_acts_immune"

    raw = yaml.safe_load(DEFAULT_MATRIX_PATH.read_text(encoding="utf-8"))
    for row in raw["categories"]:
        if row["code"] == "service_staff":
            row["prosecute"] = "yes"
            row["label"] = "Service staff (changed in a test copy)"
    raw["footnotes"]["test_only"] = {"show": "always", "text": "A footnote only the copy has."}
    copy = tmp_path / "matrix-copy.yaml"
    copy.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")

    changed_app = make_app(IMMUNITY_MATRIX_PATH=str(copy))
    changed = changed_app.test_client().get("/outreach/matrix").get_data(as_text=True)
    assert cell(changed, "service_staff", "prosecute") == "yes"
    assert "Service staff (changed in a test copy)" in changed
    assert "A footnote only the copy has." in changed
    assert cell(changed, "diplomatic_agent", "arrest_or_detain") == "no"


def test_html_in_content_is_escaped(make_app: Callable[..., Flask], content_copy: Path) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    replace_in(content_copy / "handouts" / "roadside-checklist.md", "## 1. Make it safe", attack)
    replace_in(content_copy / "decks" / "immunity-basics.md", "# Why this seminar", f"# {attack}")
    replace_in(
        content_copy / "pocket_card.yaml",
        "title: Foreign-mission members at the roadside",
        f"title: '{attack}'",
    )
    replace_in(
        content_copy / "scenarios.yaml",
        "You stop a grey Volvo",
        f"{attack} [click](javascript:alert(1)) You stop a grey Volvo",
    )
    client = make_app(OUTREACH_CONTENT_DIR=str(content_copy)).test_client()
    for path in (
        "/outreach/handouts/roadside-checklist",
        "/outreach/decks/immunity-basics",
        "/outreach/pocket-card",
        "/outreach/scenarios/first-secretary-speeding",
        "/outreach/training/scenarios/first-secretary-speeding",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;" in html, path
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert 'href="javascript:' not in html, path


def test_phone_numbers_come_from_configuration(make_app: Callable[..., Flask]) -> None:
    client = make_app(verify_phone="(555) 010-4477").test_client()
    card = client.get("/outreach/pocket-card").get_data(as_text=True)
    assert "(555) 010-4477" in card
    assert "%VERIFY_PHONE%" not in card
    handout = client.get("/outreach/handouts/reporting-incidents").get_data(as_text=True)
    assert "(555) 010-4477" in handout
    assert "%OFM_PHONE%" not in handout


def test_unknown_pages_are_named_404s(client: FlaskClient) -> None:
    for path in ("/outreach/decks/nope", "/outreach/handouts/nope", "/outreach/scenarios/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert "No " in response.get_data(as_text=True)


def test_content_edits_are_picked_up_and_broken_edits_keep_the_last_good_version(
    make_app: Callable[..., Flask], content_copy: Path
) -> None:
    client = make_app(OUTREACH_CONTENT_DIR=str(content_copy)).test_client()
    handout = content_copy / "handouts" / "roadside-checklist.md"
    replace_in(handout, "## 2. Collect the documents", "## 2. Collect the papers")
    assert "Collect the papers" in client.get("/outreach/handouts/roadside-checklist").get_data(
        as_text=True
    )
    replace_in(content_copy / "quiz.yaml", "answer: The sending state", "answer: Nobody")
    replace_in(handout, "## 2. Collect the papers", "## 2. Collect everything")
    page = client.get("/outreach/handouts/roadside-checklist")
    assert page.status_code == 200
    assert "Collect the papers" in page.get_data(as_text=True)


def test_broken_content_at_start_gives_503_pages_and_the_cli_lists_problems(
    make_app: Callable[..., Flask], content_copy: Path
) -> None:
    line = replace_in(content_copy / "quiz.yaml", "answer: The sending state", "answer: Nobody")
    app = make_app(OUTREACH_CONTENT_DIR=str(content_copy))
    assert app.test_client().get("/outreach/").status_code == 503
    assert app.test_client().get("/healthz").status_code == 200  # officers are not affected
    result = app.test_cli_runner().invoke(args=["outreach", "content", "check"])
    assert result.exit_code == 1
    assert f"quiz.yaml:{line}: answer: must be one of the choices" in result.output


def test_content_check_cli_passes_on_shipped_content(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["outreach", "content", "check", "--dir", str(CONTENT_DIR)]
    )
    assert result.exit_code == 0, result.output
    assert "3 decks" in result.output


def test_the_outreach_cookie_is_first_party_and_https_only_behind_https(
    make_app: Callable[..., Flask],
) -> None:
    plain = make_app().test_client()
    plain.get("/outreach/join")
    cookie = plain.get_cookie("session")
    assert cookie is not None
    assert cookie.same_site == "Lax"
    assert cookie.http_only
    published = make_app(public_url="https://dipcheck.example").test_client()
    published.get("/outreach/join", base_url="https://dipcheck.example")
    secure = published.get_cookie("session", domain="dipcheck.example")
    assert secure is not None
    assert secure.secure
