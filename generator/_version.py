"""zdd's version: the one place it is written (pyproject.toml reads it from here).

A plain constant, so ``zdd --help`` shows it without importing importlib.metadata
(about 100 ms of start-up).
"""

__version__ = "0.1.0"
