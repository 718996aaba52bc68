"""YAML as zdd reads it: stricter than ``yaml.safe_load``, and bounded.

* A key given twice in one mapping is an error naming both lines (YAML itself
  would silently keep the last one).
* A lone surrogate (``"\\ud800"``) has no UTF-8 form: refused here, before it
  can stop a stack half-way through being written.
* Anchors and aliases are fine, but an "alias bomb" (a few lines that expand to
  billions of values) is refused by counting what the document expands to, on
  the node graph, before anything is built from it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from generator.errors import ConfigError

MAX_VALUES = 100_000  # values a document may expand to, aliases included
_SURROGATE = re.compile("[\ud800-\udfff]")
_MERGE_TAG = "tag:yaml.org,2002:merge"


def read_yaml(text: str, display: str) -> Any:
    """Parse one YAML document; raise ConfigError (one line per problem) when it is unsafe."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "somewhere"
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise ConfigError(display, [f"{display}: (yaml) {where}: {problem}"]) from None
        if node is None:
            return None
        problems = _check(node, display)
        if problems:
            raise ConfigError(display, problems)
        size = _expanded_size(node, {})
        if size > MAX_VALUES:
            raise ConfigError(
                display,
                [
                    f"{display}: (yaml): anchors and aliases expand to more than "
                    f"{MAX_VALUES} values (got at least {size}); write the values out"
                ],
            )
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "somewhere"
            raise ConfigError(display, [f"{display}: (yaml) {where}: {exc}"]) from None
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values ``node`` becomes once every alias is expanded (capped early)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = MAX_VALUES + 1  # a cycle counts as too big
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            total += _expanded_size(child, memo)
            if total > MAX_VALUES:
                break
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            total += _expanded_size(key, memo) + _expanded_size(value, memo)
            if total > MAX_VALUES:
                break
    memo[id(node)] = total
    return total


def _check(root: yaml.Node, display: str) -> list[str]:
    """Duplicate keys and lone surrogates, each node visited once (aliases share nodes)."""
    problems: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack and len(problems) < 20:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if _SURROGATE.search(str(node.value)):
                problems.append(
                    f"{display}: {path or '(top level)'}: must not contain a lone surrogate "
                    f"(line {node.start_mark.line + 1})"
                )
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            problems.extend(_duplicates(node, path, display))
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((key, f"{path}.{name}" if path else name))
                stack.append((value, f"{path}.{name}" if path else name))
    return problems


def _duplicates(node: yaml.MappingNode, path: str, display: str) -> list[str]:
    first: dict[tuple[str, str], int] = {}
    problems = []
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        name = str(key.value)
        ident = (key.tag, name)  # 1 and "1" are different keys
        if ident in first:
            where = f"{path}.{name}" if path else name
            problems.append(
                f"{display}: {where}: duplicate key on lines {first[ident]} and {line} "
                "(YAML would keep only the last; remove one)"
            )
        else:
            first[ident] = line
    return problems
