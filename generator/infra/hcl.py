"""The one way a user's string reaches generated HCL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_SIMPLE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0)]
_TABLE = str.maketrans(
    {**{c: f"\\u{c:04x}" for c in _CONTROLS}, **{ord(k): v for k, v in _SIMPLE.items()}}
)
# What hcl_string changes; most values (names, ids, ARNs) hold none of it and skip the work.
_SPECIAL = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]|[$%]\{')


def hcl_string(value: str) -> str:
    """Return ``value`` as a whole, quoted HCL string literal.

    Backslash, quote, newline, carriage return and tab get their short escapes;
    every other control character gets a ``\\u001b``-style escape. Then template sequences
    are neutralised (``${`` -> ``$${``, ``%{`` -> ``%%{``): unescaped, a tag
    value such as ``${file("~/.aws/credentials")}`` would be evaluated at plan time.
    """
    if _SPECIAL.search(value) is None:
        return f'"{value}"'
    body = value.translate(_TABLE).replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


def hcl_value(value: object) -> str:
    """Render a scalar, list or map as an HCL expression (strings through hcl_string)."""
    if isinstance(value, str):  # the common case first: templates render thousands
        return hcl_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        # Config floats are finite (validated); repr is what JSON and HCL both read.
        return int.__repr__(int(value)) if isinstance(value, int) else float.__repr__(float(value))
    # Concrete types before the ABCs, which are slow to check; lists inside join()
    # because a generator there costs more than the list it builds.
    if isinstance(value, list | tuple):
        return "[" + ", ".join([hcl_value(v) for v in value]) + "]"
    if isinstance(value, dict | Mapping):
        if not value:
            return "{}"
        items = ", ".join([f"{hcl_string(str(k))} = {hcl_value(v)}" for k, v in value.items()])
        return "{ " + items + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join([hcl_value(v) for v in value]) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")
