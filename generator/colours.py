"""The two colours of a twin environment, and the one rule that relates them."""

from __future__ import annotations

from typing import Literal

Colour = Literal["blue", "green"]
COLOURS: tuple[Colour, Colour] = ("blue", "green")


def other_colour(colour: Colour) -> Colour:
    """The colour that is not ``colour``: the idle one when ``colour`` is live."""
    return "green" if colour == "blue" else "blue"


def parse_colour(value: str, what: str) -> Colour:
    """``value`` as a colour, or a one-line InputError naming ``what``."""
    from generator.errors import InputError

    for colour in COLOURS:
        if value == colour:
            return colour
    raise InputError(f"{what}: expected blue or green (got {value!r})")
