"""``AwsClients`` for tests and benchmarks: given clients instead of zdd's own.

zdd builds its clients from a session with adaptive retries; a test hands in plain
moto clients, clients behind the fault proxy, or clients with counting event hooks.
"""

from __future__ import annotations

from typing import Any

from generator.aws import AwsClients


def aws_clients(session: Any, **clients: Any) -> AwsClients:
    """``AwsClients`` of ``session`` whose named clients (``elbv2=...``) are these; the
    others are built on first use, as zdd builds them."""
    built = AwsClients(session)
    # cached_property keeps what it built in the instance's __dict__: these take its place.
    vars(built).update({name: client for name, client in clients.items() if client is not None})
    return built
