"""Markdown to HTML for training content, with raw HTML switched off.

Content is edited by trainers, not developers: any `<script>` or other tag in it is shown as text
(markdown-it escapes it), and link targets go through markdown-it's URL validation, which refuses
javascript:, vbscript: and data: links.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

from markdown_it import MarkdownIt
from markupsafe import Markup

PLACEHOLDER = re.compile(r"%([A-Z][A-Z_]*)%")

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace %NAME% with configured values (phone numbers are configuration, never content)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render_markdown(text: str, values: Mapping[str, str]) -> Markup:
    return _render(fill_placeholders(text, values), inline=False)


def render_inline(text: str, values: Mapping[str, str]) -> Markup:
    """One line (a pocket-card item, a choice) without a wrapping paragraph."""
    return _render(fill_placeholders(text, values), inline=True)


# Content changes rarely and every deck view renders the same slides again: keep recent results.
@functools.lru_cache(maxsize=2048)
def _render(source: str, *, inline: bool) -> Markup:
    # markdown-it escapes every character of the source it does not turn into markup itself.
    html = _md.renderInline(source) if inline else _md.render(source)
    return Markup(html)  # noqa: S704


def links(text: str) -> Iterator[tuple[int, str]]:
    """(line offset from the start of `text`, href) of every link in the Markdown."""
    for token in _md.parse(text):
        if token.type != "inline" or token.children is None:
            continue
        line = token.map[0] if token.map else 0
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "link_open":
                href = child.attrGet("href")
                if isinstance(href, str):
                    yield line, href


def images(text: str) -> Iterator[tuple[int, str, str]]:
    """(line offset from the start of `text`, src, alt text) of every image in the Markdown."""
    for token in _md.parse(text):
        if token.type != "inline" or token.children is None:
            continue
        line = token.map[0] if token.map else 0
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                src = child.attrGet("src")
                alt = "".join(part.content for part in child.children or ())
                if isinstance(src, str):
                    yield line, src, alt
