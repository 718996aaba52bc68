"""Where the CI templates live, and the jinja environment that renders them.

``pipeline_templates`` is the one place that knows the location: templates/pipelines/
among the package's assets (a folder in a checkout, package data in a wheel). It
returns a ``Traversable`` and templates are read through it by name, so it works
from a wheel, a zip or a checkout alike.

The templates are YAML full of GitHub's ``${{ }}``, so jinja uses other delimiters
here: ``[= value =]``, ``[% block %]`` and ``[# comment #]``.
"""

from __future__ import annotations

import json
import shlex
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from generator.errors import ZddError
from generator.infra.assets import templates_dir

if TYPE_CHECKING:
    import jinja2


def pipeline_templates() -> Traversable:
    """The folder of ``*.yml.j2`` CI templates (templates/pipelines/ of the project)."""
    return templates_dir() / "pipelines"


def _source(name: str) -> str:
    try:
        return pipeline_templates().joinpath(name).read_text(encoding="utf-8")
    except OSError:
        raise ZddError(f"CI template {name} not found; the zdd install is broken") from None


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value))


@lru_cache(maxsize=1)
def jinja_env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_source(name), None, lambda: True)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML and shell: values go through the q and sh filters
        variable_start_string="[=",
        variable_end_string="=]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
    )
    env.filters["q"] = yaml_string
    env.filters["sh"] = shlex.quote
    return env
