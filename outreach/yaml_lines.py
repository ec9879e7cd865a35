"""YAML loading that remembers where every value was written.

Trainers edit the YAML by hand, so a problem must point at a line. The document is composed into
nodes (which carry their positions) and converted to plain Python here, recording the line of each
key and list item under its path, e.g. ("questions", 3, "answer") -> 42.

Scalars follow YAML 1.2: only true/false are booleans. YAML 1.1 would turn the action code `no`
into False, which is the commonest mistake in content like ours.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from outreach.problems import Problem

Path_ = tuple[str | int, ...]
LineMap = dict[Path_, int]

_BOOL_TAG = "tag:yaml.org,2002:bool"


class _ContentLoader(yaml.SafeLoader):
    """SafeLoader whose implicit booleans are only true/false (any case)."""


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ContentLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YamlProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load_yaml(text: str, source: str, *, first_line: int = 1) -> tuple[Any, LineMap]:
    """Parse one YAML document. `first_line` is the file line where `text` starts (front matter).
    Raises YamlProblem for syntax errors and duplicate keys."""
    loader = _ContentLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: LineMap = {(): node.start_mark.line + first_line}
        return _convert(loader, node, (), lines, source, first_line), lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlProblem(
            Problem(source, line, "yaml", str(error.problem or "invalid YAML"))
        ) from None
    finally:
        loader.dispose()


def _convert(
    loader: _ContentLoader,
    node: yaml.Node,
    path: Path_,
    lines: LineMap,
    source: str,
    first_line: int,
) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + first_line
            if not isinstance(key, str | int):
                raise YamlProblem(Problem(source, line, "yaml", "keys must be plain words"))
            if key in result:
                raise YamlProblem(Problem(source, line, str(key), "duplicate key"))
            lines[(*path, key)] = line
            result[key] = _convert(loader, value_node, (*path, key), lines, source, first_line)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + first_line
            items.append(_convert(loader, item, (*path, index), lines, source, first_line))
        return items
    return loader.construct_object(node)


def line_of(lines: LineMap, path: Path_) -> int:
    """The line of the deepest recorded prefix of `path` (a missing field points at its parent)."""
    for end in range(len(path), -1, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return 1
