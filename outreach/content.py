"""Loads and checks the training content directory (see training_content/README.md).

`load_content` reads every file, validates each against its model (outreach/content_schema.py),
then checks what ties the files together: seminar and handout ids, scenario categories and answers
against the immunity rules file the lookups answer with, scenario subjects against the training
records, links between pages and placeholders. Every problem is collected and reported at once
as `FILE:LINE: FIELD: message`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from lookup.rules.immunity import FAMILY_MEMBER, ImmunityMatrix
from outreach.content_schema import (
    DeckMeta,
    HandoutMeta,
    PocketCard,
    Question,
    QuizFile,
    Scenario,
    ScenarioFile,
)
from outreach.markdown_render import PLACEHOLDER, images, links
from outreach.plain_language import plain_words, problems_in
from outreach.problems import ContentInvalid, Problem
from outreach.yaml_lines import LineMap, YamlProblem, line_of, load_yaml

DECKS_DIR: Final = "decks"
HANDOUTS_DIR: Final = "handouts"
POCKET_CARD_FILE: Final = "pocket_card.yaml"
SCENARIOS_FILE: Final = "scenarios.yaml"
QUIZ_FILE: Final = "quiz.yaml"
TRAINING_RECORDS_DIR: Final = "training_records"
DIAGRAMS_DIR: Final = "diagrams"
DIAGRAM_URL: Final = "/outreach/diagrams/"
# A deck's length follows its credit hours: about four minutes a slide, the scenarios and the quiz
# included, so a 1.5-hour seminar has at least 21 slides.
SLIDES_PER_HOUR: Final = 14
# What a diagram must not hold: it is served from this site and shown in the room.
_UNSAFE_SVG: Final = re.compile(
    r"<script|<foreignObject|\son[a-z]+\s*=|(?:xlink:)?href\s*=\s*[\"'](?!#)|url\((?!#)", re.I
)
PLACEHOLDERS: Final = frozenset({"VERIFY_PHONE", "OFM_PHONE"})
SLIDE_BREAK: Final = "---"
NOTES_BREAK: Final = "???"

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D", "Deck", "Handout")


@dataclass(frozen=True, slots=True)
class Slide:
    title: str
    body: str  # Markdown after the heading
    notes: str  # trainer notes (Markdown), empty when none
    line: int  # of the heading
    body_line: int
    notes_line: int


@dataclass(frozen=True, slots=True)
class Deck:
    meta: DeckMeta
    slides: tuple[Slide, ...]
    source: str
    meta_lines: LineMap  # where each front-matter field was written


@dataclass(frozen=True, slots=True)
class Handout:
    meta: HandoutMeta
    body: str
    source: str
    body_line: int


@dataclass(frozen=True, slots=True)
class TrainingContent:
    decks: Mapping[str, Deck]  # in file-name order
    handouts: Mapping[str, Handout]
    pocket_card: PocketCard
    scenarios: Mapping[str, Scenario]
    questions: Mapping[str, Question]
    root: Path
    diagrams: frozenset[str] = frozenset()  # names of diagrams/*.svg without the suffix

    def questions_for(self, seminar: str) -> list[Question]:
        return [q for q in self.questions.values() if q.seminar == seminar]


def site_paths(content: TrainingContent) -> frozenset[str]:
    """Every /outreach/ page that content may link to."""
    fixed = {"/outreach/", "/outreach/matrix", "/outreach/pocket-card", "/outreach/scenarios"}
    fixed |= {"/outreach/handouts", "/outreach/request"}
    fixed |= {f"/outreach/decks/{key}" for key in content.decks}
    fixed |= {f"/outreach/handouts/{key}" for key in content.handouts}
    fixed |= {f"/outreach/scenarios/{key}" for key in content.scenarios}
    return frozenset(fixed)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(path, line, field, message))

    def model(self, cls: type[M], raw: Any, lines: LineMap, source: str) -> M | None:
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            for item in error.errors():
                loc = tuple(item["loc"])
                names = [part for part in loc if isinstance(part, str)]
                message = str(item["msg"]).removeprefix("Value error, ")
                if item["type"] == "string_type" and isinstance(item.get("input"), dict):
                    message += " (put text that contains ': ' in quotes)"
                self.add(source, line_of(lines, loc), names[-1] if names else "file", message)
            return None


def load_content(root: Path, matrix: ImmunityMatrix) -> TrainingContent:
    """Read and check the whole directory. Raises ContentInvalid listing every problem."""
    out = _Collector()
    decks = {deck.meta.id: deck for deck in _read_markdown_files(root, DECKS_DIR, out, _deck)}
    handouts = {h.meta.id: h for h in _read_markdown_files(root, HANDOUTS_DIR, out, _handout)}
    card = _read_yaml_model(root, POCKET_CARD_FILE, PocketCard, out)
    card_lines = card[1] if card else {}
    scenario_doc = _read_yaml_model(root, SCENARIOS_FILE, ScenarioFile, out)
    quiz = _read_yaml_model(root, QUIZ_FILE, QuizFile, out)
    if card is None or scenario_doc is None or quiz is None or out.problems:
        raise ContentInvalid(out.problems or [Problem("?", 1, "file", "unreadable")])

    scenarios_model, scenario_lines = scenario_doc
    quiz_model, quiz_lines = quiz
    diagrams = _read_diagrams(root, out)
    content = TrainingContent(
        decks=decks,
        handouts=handouts,
        pocket_card=card[0],
        scenarios={s.id: s for s in scenarios_model.scenarios},
        questions={q.id: q for q in quiz_model.questions},
        root=root,
        diagrams=diagrams,
    )
    _check_unique(SCENARIOS_FILE, "scenarios", scenarios_model.scenarios, scenario_lines, out)
    _check_unique(QUIZ_FILE, "questions", quiz_model.questions, quiz_lines, out)
    for deck in decks.values():
        wanted = math.ceil(deck.meta.hours * SLIDES_PER_HOUR)
        if len(deck.slides) < wanted:
            message = (
                f"{deck.meta.hours:g} hours need at least {wanted} slides "
                f"({SLIDES_PER_HOUR} an hour); this deck has {len(deck.slides)}"
            )
            out.add(deck.source, line_of(deck.meta_lines, ("hours",)), "hours", message)
        for index, handout_id in enumerate(deck.meta.handouts):
            if handout_id not in handouts:
                line = line_of(deck.meta_lines, ("handouts", index))
                out.add(deck.source, line, "handouts", f"no handout {handout_id!r}")
    for index, question in enumerate(quiz_model.questions):
        if question.seminar not in decks:
            where = line_of(quiz_lines, ("questions", index, "seminar"))
            out.add(QUIZ_FILE, where, "seminar", f"no deck with id {question.seminar!r}")
    records = _training_persons(root, out)
    for index, scenario in enumerate(scenarios_model.scenarios):
        _check_scenario(index, scenario, scenario_lines, decks, records, matrix, out)
    _check_texts(content, card_lines, scenario_lines, quiz_lines, out)
    _check_plain_language(content, card_lines, scenario_lines, quiz_lines, matrix, out)
    if out.problems:
        raise ContentInvalid(out.problems)
    return content


# -- files -----------------------------------------------------------------------------------------


def _read_yaml_model(
    root: Path, name: str, cls: type[M], out: _Collector
) -> tuple[M, LineMap] | None:
    try:
        text = (root / name).read_text(encoding="utf-8")
    except OSError:
        out.add(name, 1, "file", "missing or unreadable")
        return None
    try:
        raw, lines = load_yaml(text, name)
    except YamlProblem as problem:
        out.problems.append(problem.problem)
        return None
    model = out.model(cls, raw, lines, name)
    return None if model is None else (model, lines)


def _read_markdown_files(
    root: Path, folder: str, out: _Collector, parse: Callable[[str, str, _Collector], D | None]
) -> list[D]:
    directory = root / folder
    if not directory.is_dir():
        out.add(folder, 1, "file", "folder missing")
        return []
    found: list[D] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.md")):
        source = f"{folder}/{path.name}"
        parsed = parse(path.read_text(encoding="utf-8"), source, out)
        if parsed is None:
            continue
        if parsed.meta.id in seen:
            out.add(source, 2, "id", f"already used by {seen[parsed.meta.id]}")
            continue
        seen[parsed.meta.id] = source
        found.append(parsed)
    if not found and not out.problems:
        out.add(folder, 1, "file", "no .md files")
    return found


def _front_matter(
    text: str, source: str, cls: type[M], out: _Collector
) -> tuple[M | None, LineMap, list[str], int] | None:
    """(metadata or None when invalid, the remaining lines, the file line of the first of them);
    None when the front matter cannot even be found."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != SLIDE_BREAK:
        out.add(source, 1, "front matter", "the file must start with a '---' line")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == SLIDE_BREAK)
    except StopIteration:
        out.add(source, 1, "front matter", "no closing '---' line")
        return None
    try:
        raw, line_map = load_yaml("\n".join(lines[1:end]), source, first_line=2)
    except YamlProblem as problem:
        out.problems.append(problem.problem)
        return None
    meta = out.model(cls, raw if raw is not None else {}, line_map, source)
    return meta, line_map, lines[end + 1 :], end + 2


def _deck(text: str, source: str, out: _Collector) -> Deck | None:
    parsed = _front_matter(text, source, DeckMeta, out)
    if parsed is None:
        return None
    meta, meta_lines, body_lines, first = parsed
    chunks: list[tuple[int, list[str]]] = [(first, [])]
    for offset, line in enumerate(body_lines):
        if line.strip() == SLIDE_BREAK:
            chunks.append((first + offset + 1, []))
        else:
            chunks[-1][1].append(line)
    slides = []
    for start, chunk in chunks:
        slide = _slide(start, chunk, source, out)
        if slide is not None:
            slides.append(slide)
    if not slides:
        out.add(source, first, "slides", "a deck needs at least one slide")
    if meta is None or not slides:
        return None
    return Deck(meta=meta, slides=tuple(slides), source=source, meta_lines=meta_lines)


def _slide(start: int, chunk: list[str], source: str, out: _Collector) -> Slide | None:
    skipped = 0
    while skipped < len(chunk) and not chunk[skipped].strip():
        skipped += 1
    if skipped == len(chunk):
        out.add(source, start, "slide", "empty slide (two '---' lines in a row?)")
        return None
    heading = chunk[skipped]
    line = start + skipped
    if not heading.startswith("# ") or not heading[2:].strip():
        out.add(source, line, "slide", "must start with a '# ' heading")
        return None
    rest = chunk[skipped + 1 :]
    notes: list[str] = []
    notes_line = line + 1 + len(rest)
    if NOTES_BREAK in (r.strip() for r in rest):
        cut = [r.strip() for r in rest].index(NOTES_BREAK)
        rest, notes = rest[:cut], rest[cut + 1 :]
        notes_line = line + 1 + cut + 1
    body, body_line = _trimmed(rest, line + 1)
    notes_text, notes_line = _trimmed(notes, notes_line)
    return Slide(
        title=heading[2:].strip(),
        body=body,
        notes=notes_text,
        line=line,
        body_line=body_line,
        notes_line=notes_line,
    )


def _trimmed(lines: list[str], first: int) -> tuple[str, int]:
    """The text without surrounding blank lines, and the file line where it now starts."""
    lead = 0
    while lead < len(lines) and not lines[lead].strip():
        lead += 1
    return "\n".join(lines[lead:]).strip(), first + lead


def _handout(text: str, source: str, out: _Collector) -> Handout | None:
    parsed = _front_matter(text, source, HandoutMeta, out)
    if parsed is None:
        return None
    meta, _meta_lines, body_lines, first = parsed
    body, body_line = _trimmed(body_lines, first)
    if not body:
        out.add(source, first, "body", "the handout has no text")
    if meta is None or not body:
        return None
    return Handout(meta=meta, body=body, source=source, body_line=body_line)


def _read_diagrams(root: Path, out: _Collector) -> frozenset[str]:
    """Names of the SVG diagrams, each checked to hold no script and no outside address."""
    names: set[str] = set()
    for path in sorted((root / DIAGRAMS_DIR).glob("*.svg")):
        source = f"{DIAGRAMS_DIR}/{path.name}"
        text = path.read_text(encoding="utf-8")
        found = _UNSAFE_SVG.search(text)
        if found is not None:
            line = text[: found.start()].count("\n") + 1
            message = (
                f"{found.group(0).strip()!r}: a diagram holds no script, event or outside address"
            )
            out.add(source, line, "svg", message)
        if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", path.stem):
            names.add(path.stem)
        else:
            out.add(
                source,
                1,
                "file",
                "name diagrams in lower case with hyphens, e.g. plate-anatomy.svg",
            )
    return frozenset(names)


def _training_persons(root: Path, out: _Collector) -> dict[str, dict[str, str]]:
    """person_id -> row of training_records/persons.csv (the import itself validates the rest)."""
    source = f"{TRAINING_RECORDS_DIR}/persons.csv"
    try:
        with (root / source).open(encoding="utf-8", newline="") as handle:
            return {row["person_id"]: row for row in csv.DictReader(handle)}
    except (OSError, KeyError):
        out.add(source, 1, "file", "missing, or without a person_id column")
        return {}


# -- checks between files --------------------------------------------------------------------------


def _check_unique(
    source: str, key: str, items: Iterable[Scenario | Question], lines: LineMap, out: _Collector
) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            out.add(source, line_of(lines, (key, index, "id")), "id", f"duplicate id {item.id!r}")
        seen.add(item.id)


def _check_scenario(
    index: int,
    scenario: Scenario,
    lines: LineMap,
    decks: Mapping[str, Deck],
    persons: Mapping[str, Mapping[str, str]],
    matrix: ImmunityMatrix,
    out: _Collector,
) -> None:
    def at(*path: str) -> int:
        return line_of(lines, ("scenarios", index, *path))

    expected = scenario.expected
    if scenario.seminar not in decks:
        out.add(SCENARIOS_FILE, at("seminar"), "seminar", f"no deck {scenario.seminar!r}")
    rule = matrix.categories.get(expected.category)
    if rule is None:
        message = f"{expected.category!r} is not a category of the immunity rules file"
        out.add(SCENARIOS_FILE, at("expected", "category"), "category", message)
        return
    subject = persons.get(scenario.subject)
    if subject is None:
        message = f"no person {scenario.subject!r} in the training records"
        out.add(SCENARIOS_FILE, at("subject"), "subject", message)
    else:
        governing = subject.get("category", "")
        if governing == FAMILY_MEMBER:
            principal = persons.get(subject.get("principal_id", ""), {})
            governing = principal.get("category", "")
        if governing != expected.category:
            message = f"the subject's record gives category {governing!r}"
            out.add(SCENARIOS_FILE, at("expected", "category"), "category", message)
    # The expected answer must be the one the rules file gives (the same order of rules as
    # lookup/rules/immunity.py; the tests also run that engine on the subject's record).
    want_level: str = expected.level
    want_actions = dict(matrix.levels[expected.level].actions)
    if expected.basis == "category" or (
        expected.basis == "family_member" and rule.family == "same_as_principal"
    ):
        want_level, want_actions = rule.level, dict(rule.actions)
    elif expected.basis == "family_member" and rule.family == "none":
        want_level, want_actions = "none", dict(matrix.levels["none"].actions)
    elif expected.basis == "family_member":
        message = "family status is set case by case by the State Department; pick another subject"
        out.add(SCENARIOS_FILE, at("expected", "basis"), "basis", message)
        return
    elif expected.basis == "us_national_or_resident":
        family = subject is not None and subject.get("category") == FAMILY_MEMBER
        us_level = matrix.us_national.get(
            FAMILY_MEMBER if family else rule.code, matrix.us_national_default
        )
        if us_level in matrix.levels:
            want_level, want_actions = us_level, dict(matrix.levels[us_level].actions)
        else:  # "category_default": the category's own row applies
            want_level, want_actions = rule.level, dict(rule.actions)
    if expected.level != want_level:
        message = f"the rules file gives {want_level!r}"
        out.add(SCENARIOS_FILE, at("expected", "level"), "level", message)
    for code, value in want_actions.items():
        if expected.actions.get(code) != value:
            message = f"the rules file gives {value!r} for this answer"
            out.add(SCENARIOS_FILE, at("expected", "actions", code), code, message)


def _check_texts(
    content: TrainingContent,
    card_lines: LineMap,
    scenario_lines: LineMap,
    quiz_lines: LineMap,
    out: _Collector,
) -> None:
    """Links and placeholders in every piece of Markdown."""
    known = site_paths(content)
    texts: list[tuple[str, int, str]] = []
    for deck in content.decks.values():
        for slide in deck.slides:
            texts += [(deck.source, slide.body_line, slide.body)]
            texts += [(deck.source, slide.notes_line, slide.notes)]
    for handout in content.handouts.values():
        texts.append((handout.source, handout.body_line, handout.body))
    for index, scenario in enumerate(content.scenarios.values()):
        for name in ("situation", "why"):
            line = line_of(scenario_lines, ("scenarios", index, name))
            texts.append((SCENARIOS_FILE, line, getattr(scenario, name)))
    for index, question in enumerate(content.questions.values()):
        line = line_of(quiz_lines, ("questions", index))
        texts.append((QUIZ_FILE, line, f"{question.prompt}\n\n{question.explanation}"))
    for number, section in enumerate(content.pocket_card.sections):
        for index, item in enumerate(section.items):
            line = line_of(card_lines, ("sections", number, "items", index))
            texts.append((POCKET_CARD_FILE, line, item))
    for source, line, text in texts:
        for offset, href in links(text):
            if href.startswith("/") and href.split("#")[0] not in known:
                out.add(source, line + offset, "link", f"{href} is not a page of this site")
            elif not href.startswith(("/", "https://", "mailto:")):
                out.add(source, line + offset, "link", f"{href}: use /outreach/... or https://")
        for offset, src, alt in images(text):
            name = src.removeprefix(DIAGRAM_URL).removesuffix(".svg")
            if not src.startswith(DIAGRAM_URL) or name not in content.diagrams:
                message = f"{src}: an image must be one of {DIAGRAM_URL}NAME.svg ({DIAGRAMS_DIR}/)"
                out.add(source, line + offset, "image", message)
            if not alt.strip():
                message = "say what the diagram shows: ![what it shows](...)"
                out.add(source, line + offset, "image", message)
        for match in PLACEHOLDER.finditer(text):
            if match.group(1) not in PLACEHOLDERS:
                at = line + text[: match.start()].count("\n")
                names = ", ".join(f"%{p}%" for p in sorted(PLACEHOLDERS))
                out.add(source, at, "placeholder", f"unknown %{match.group(1)}%; use {names}")


def _check_plain_language(
    content: TrainingContent,
    card_lines: LineMap,
    scenario_lines: LineMap,
    quiz_lines: LineMap,
    matrix: ImmunityMatrix,
    out: _Collector,
) -> None:
    """Every text an attendee or officer reads is in the officer's words (outreach/
    plain_language.py): no backticks, no API codes."""
    # (file, line where the text starts, field, text, whether the text's own lines count)
    texts: list[tuple[str, int, str, str]] = []
    for deck in content.decks.values():
        for name in ("title", "summary", "audience"):
            line = line_of(deck.meta_lines, (name,))
            texts.append((deck.source, line, name, getattr(deck.meta, name)))
        for slide in deck.slides:
            texts.append((deck.source, slide.line, "slide title", slide.title))
            texts.append((deck.source, slide.body_line, "slide", slide.body))
            texts.append((deck.source, slide.notes_line, "notes", slide.notes))
    for handout in content.handouts.values():
        texts.append((handout.source, 2, "title", handout.meta.title))
        texts.append((handout.source, handout.body_line, "body", handout.body))

    def yaml_text(source: str, lines: LineMap, path: tuple[str | int, ...], text: str) -> None:
        # A block scalar (`key: |`) starts on the line after its key and keeps its line breaks.
        block = "\n" in text.rstrip("\n")
        name = next(part for part in reversed(path) if isinstance(part, str))
        texts.append((source, line_of(lines, path) + (1 if block else 0), name, text))

    for index, scenario in enumerate(content.scenarios.values()):
        for name in ("title", "situation", "why"):
            yaml_text(
                SCENARIOS_FILE, scenario_lines, ("scenarios", index, name), getattr(scenario, name)
            )
        for number, step in enumerate(scenario.expected.steps):
            yaml_text(
                SCENARIOS_FILE,
                scenario_lines,
                ("scenarios", index, "expected", "steps", number),
                step,
            )
    for index, question in enumerate(content.questions.values()):
        for name in ("prompt", "explanation"):
            yaml_text(QUIZ_FILE, quiz_lines, ("questions", index, name), getattr(question, name))
        for number, choice in enumerate(question.choices):
            yaml_text(QUIZ_FILE, quiz_lines, ("questions", index, "choices", number), choice)
    yaml_text(POCKET_CARD_FILE, card_lines, ("title",), content.pocket_card.title)
    for number, section in enumerate(content.pocket_card.sections):
        yaml_text(POCKET_CARD_FILE, card_lines, ("sections", number, "heading"), section.heading)
        for index, item in enumerate(section.items):
            yaml_text(POCKET_CARD_FILE, card_lines, ("sections", number, "items", index), item)
    words = plain_words(matrix)
    for source, line, name, text in texts:
        for offset, message in problems_in(text, words):
            out.add(source, line + offset, name, message)
