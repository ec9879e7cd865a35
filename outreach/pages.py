"""The public pages: seminar decks as slides, handouts, the pocket card, scenarios and the
immunity matrix drawn from the rules file."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, send_from_directory

from lookup.rules.immunity import ACTION_CODES
from outreach.blueprint import bp
from outreach.content import DIAGRAMS_DIR
from outreach.content_schema import DeckMeta
from outreach.library import current_content, current_matrix, placeholders
from outreach.markdown_render import render_inline, render_markdown

# Where a scenario's level comes from, in the words the answer card uses (content_schema's basis).
BASIS_TEXT = {
    "category": "the level of the person's own category",
    "family_member": "a family member: the principal's family rule decides",
    "us_national_or_resident": "a U.S. national or resident: the U.S.-national rule decides",
    "override": "a level recorded by OFM for this person",
}


@bp.get("/")
def index() -> str:
    content = current_content()
    return render_template(
        "outreach/index.html",
        decks=list(content.decks.values()),
        handouts=list(content.handouts.values()),
        scenario_count=len(content.scenarios),
    )


def _slides(deck_id: str, *, notes: bool) -> tuple[DeckMeta, list[dict[str, Any]]]:
    found = current_content().decks.get(deck_id)
    if found is None:
        abort(404, description="No seminar deck with that name.")
    values = placeholders()
    slides = [
        {
            "title": slide.title,
            "body": render_markdown(slide.body, values),
            "notes": render_markdown(slide.notes, values) if notes and slide.notes else None,
        }
        for slide in found.slides
    ]
    return found.meta, slides


@bp.get("/decks/<deck_id>")
def deck(deck_id: str) -> str:
    """The projected view: the slides only; trainer notes are never sent to this page."""
    meta, slides = _slides(deck_id, notes=False)
    return render_template("outreach/deck.html", deck=meta, slides=slides)


@bp.get("/decks/<deck_id>/presenter")
def deck_presenter(deck_id: str) -> str:
    """The trainer's screen: notes, the next slide and the time, in step with the projected view
    (static/slides.js keeps both windows on the same slide)."""
    meta, slides = _slides(deck_id, notes=True)
    return render_template("outreach/presenter.html", deck=meta, slides=slides)


@bp.get("/diagrams/<name>.svg")
def diagram(name: str) -> Response:
    """A diagram the slides and handouts show; the content check keeps scripts and other sites'
    addresses out of these files, and the page's policy would block them anyway."""
    content = current_content()
    if name not in content.diagrams:
        abort(404, description="No diagram with that name.")
    return send_from_directory(
        content.root / DIAGRAMS_DIR, f"{name}.svg", mimetype="image/svg+xml", max_age=300
    )


@bp.get("/handouts")
def handouts() -> str:
    return render_template(
        "outreach/handouts.html", handouts=list(current_content().handouts.values())
    )


@bp.get("/handouts/<handout_id>")
def handout(handout_id: str) -> str:
    found = current_content().handouts.get(handout_id)
    if found is None:
        abort(404, description="No handout with that name.")
    body = render_markdown(found.body, placeholders())
    return render_template("outreach/handout.html", handout=found.meta, body=body)


@bp.get("/pocket-card")
def pocket_card() -> str:
    card = current_content().pocket_card
    values = placeholders()
    sections = [
        {"heading": s.heading, "lines": [render_inline(item, values) for item in s.items]}
        for s in card.sections
    ]
    return render_template("outreach/pocket_card.html", title=card.title, sections=sections)


@bp.get("/scenarios")
def scenarios() -> str:
    content = current_content()
    return render_template(
        "outreach/scenarios.html",
        scenarios=list(content.scenarios.values()),
        decks=content.decks,
    )


@bp.get("/scenarios/<scenario_id>")
def scenario(scenario_id: str) -> str:
    content = current_content()
    found = content.scenarios.get(scenario_id)
    if found is None:
        abort(404, description="No scenario with that name.")
    values = placeholders()
    matrix = current_matrix()
    actions = [
        {
            "label": matrix.actions[code].label,
            "code": code,
            "value": found.expected.actions[code],
            "text": matrix.action_text(code, found.expected.actions[code]),
        }
        for code in ACTION_CODES
    ]
    return render_template(
        "outreach/scenario.html",
        scenario=found,
        situation=render_markdown(found.situation, values),
        why=render_markdown(found.why, values),
        steps=[render_inline(step, values) for step in found.expected.steps],
        actions=actions,
        level_label=matrix.levels[found.expected.level].label,
        basis_text=BASIS_TEXT[found.expected.basis],
        category_label=matrix.category_label(found.expected.category),
        deck=content.decks.get(found.seminar),
    )


@bp.get("/matrix")
def matrix_page() -> str:
    """The action matrix exactly as the lookups read it: rows, wording, footnotes and the
    U.S.-national rule all come from the rules file."""
    matrix = current_matrix()
    groups: dict[str, list[object]] = {}
    for rule in matrix.categories.values():
        groups.setdefault(rule.group, []).append(rule)
    levels = matrix.levels
    us_rules = [
        (matrix.category_label(code), levels[level].label if level in levels else None)
        for code, level in matrix.us_national.items()
    ]
    return render_template(
        "outreach/matrix.html",
        matrix=matrix,
        groups=groups,
        action_codes=ACTION_CODES,
        us_rules=us_rules,
        us_default=matrix.levels[matrix.us_national_default].label,
        verify_phone=placeholders()["VERIFY_PHONE"],
    )
