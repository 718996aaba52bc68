"""The traffic engine's mechanics: moves, bakes, stages, rollback and revert.

It knows the ports (``rollout.ports``), never an adapter (``rollout.aws``) or a view
(``rollout.views``); ``tests/unit/test_layers.py`` holds it to that.
"""
