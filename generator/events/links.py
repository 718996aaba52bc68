"""Link templates (``webhooks.link``): ``{field}`` placeholders only, from a known set.

``str.format`` is not used: a template is configuration, and ``str.format`` on it
would evaluate attribute and index access (``{deployment_id.__class__}``: an
AttributeError, or a peek into objects) and format specs (``{service:>999999999}``:
hundreds of megabytes). A template is parsed once, checked, and substituted by hand.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

LINK_FIELDS = ("deployment_id", "service", "environment")
MAX_LINK = 2048  # characters of a template: longer is not a link people click


def _pieces(template: str) -> list[tuple[str, str | None]]:
    """(literal text, field name or None); ValueError for anything but ``{field}``."""
    if len(template) > MAX_LINK:
        raise ValueError(f"longer than {MAX_LINK} characters")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"not a template ({exc}); write a literal brace as {{{{ or }}}}") from None
    pieces: list[tuple[str, str | None]] = []
    allowed = ", ".join(f"{{{name}}}" for name in LINK_FIELDS)
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in LINK_FIELDS or spec or conversion):
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ValueError(f"{shown[:60]!r}: only {allowed}, without format specs")
        pieces.append((literal, name))
    return pieces


def check_link_template(template: str) -> None:
    """Raise ValueError (one line) unless ``template`` has only the known placeholders."""
    _pieces(template)


def render_link(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{field}`` replaced by ``values[field]``."""
    return "".join(literal + (values[name] if name else "") for literal, name in _pieces(template))
