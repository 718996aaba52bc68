"""Untrusted text in Markdown (PR comments, CI job summaries, ``zdd report --markdown``).

Hook output, event messages, release names and plan addresses come from outside:
as Markdown, ``<img src=x onerror=...>`` or ``<details open>`` would be rendered
as HTML, ``[text](url)`` as a link, and ``|`` or a newline would break a table.
``md_text`` makes any string plain text in any Markdown context zdd writes
(``>`` stays: without ``<`` no tag can open, and zdd never starts a line with it).
"""

from __future__ import annotations

_MARKDOWN = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "`": "\\`",
        "\n": " ",
        "\r": " ",
    }
)


def md_text(value: object) -> str:
    """``value`` as plain text in Markdown: no HTML, no links, no table breaks."""
    return str(value).translate(_MARKDOWN)


def md_code(value: object) -> str:
    """``value`` inside a code span (HTML is literal there): only backticks and newlines."""
    return str(value).replace("`", "'").replace("\n", " ").replace("\r", " ")
