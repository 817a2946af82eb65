"""Reading a script file so that every mapping and list knows its line in the file.

Script errors have to point a person at the line to fix; PyYAML knows where each node
starts, so the loader keeps it. JSON files are read by the same loader (JSON is YAML
apart from tab indentation, which is safe to replace because JSON strings cannot hold a
raw tab), and a JSON syntax error keeps JSON's own line number.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


class LineMapping(dict[str, Any]):
    """A mapping from the file, with the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list from the file, with the line it starts on."""

    line: int = 0


class FileSyntaxError(ValueError):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _LineLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMapping:
    loader.flatten_mapping(node)
    out = LineMapping()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            key = str(key)
        if key in out:
            raise FileSyntaxError(line, f"the key {key!r} appears twice in one mapping.")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_with_lines(text: str, *, is_json: bool) -> Any:
    """The parsed document; raises ``FileSyntaxError`` with the line of a syntax error."""
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileSyntaxError(exc.lineno, f"not valid JSON: {exc.msg}.") from None
        text = text.replace("\t", " ")
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise FileSyntaxError(line, f"not valid YAML: {exc.problem or exc}.") from None
    except yaml.YAMLError as exc:
        raise FileSyntaxError(None, f"not valid YAML: {exc}.") from None
