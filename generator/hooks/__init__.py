"""Hook kinds: a local command, an HTTP request, an ECS task, a Lambda function.

``HookRunner`` runs one stage's hooks in order and stops at the first failure;
each kind lives in its own module and never raises for a failed check.
"""

from generator.hooks.runner import HookClients, HookRunner, hook_runner_for

__all__ = ["HookClients", "HookRunner", "hook_runner_for"]
