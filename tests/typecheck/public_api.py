"""Checked by mypy (``make typecheck``), never run: the public names keep their precise types.

If ``generator``'s exports degrade to ``Any`` (a lazy map without stubs), every
``assert_type`` below fails type checking.
"""

from __future__ import annotations

from typing import assert_type

import generator
from generator.config.model import Environment
from generator.rollout.engine.engine import Engine
from generator.rollout.release import ReleaseContext

assert_type(generator.Engine, type[Engine])
assert_type(generator.Environment, type[Environment])
assert_type(generator.ReleaseContext, type[ReleaseContext])
assert_type(generator.__version__, str)
