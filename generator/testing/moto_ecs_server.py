"""`moto_server` with zdd's ECS scheduler: `python -m generator.testing.moto_ecs_server`.

Takes moto_server's own arguments (``-H 127.0.0.1 -p PORT``). End-to-end tests
run it as a process of its own, so real Terraform and the zdd CLI reach ECS
services that start tasks, register targets and finish (or fail) rollouts.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    from generator.testing.ecs import install_ecs_scheduler

    install_ecs_scheduler()
    moto_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
