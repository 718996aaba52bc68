"""``zdd emulator``: the emulator of the demo and the tests, for a team's own repository.

It runs ``python -m generator.demo.moto`` (moto_server with zdd's additions) on
127.0.0.1 until a stop signal, and says what to export so that zdd, boto3 and
terraform's AWS provider all talk to it. With environment files it also creates what
they name and an empty account lacks (a VPC, subnets in distinct zones, a
certificate) and writes copies of the files that use them, for ``ZDD_ENVIRONMENTS``:
a first ``zdd plan`` and ``apply`` then work without editing the team's files.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import InputError
from generator.infra.provider_lock import LOCK_FILE

if TYPE_CHECKING:
    from generator.demo.moto import Network

DEFAULT_REGION = "eu-west-1"
# What the demo's emulator_override.tf does, as a variable: the AWS provider and boto3 both
# honour it. By default the provider retries an HTTP 500 25 times, up to ~12 minutes.
MAX_ATTEMPTS = "3"


@dataclass(frozen=True)
class EmulatorReady:
    """What a running emulator offers: the variables to export, and what it created."""

    endpoint: str
    variables: dict[str, str]
    environments_dir: Path | None = None  # copies of the environment files, on its network
    network: Network | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "variables": self.variables,
            "environments_dir": str(self.environments_dir) if self.environments_dir else None,
            "network": asdict(self.network) if self.network else None,
        }


def require_moto() -> None:
    """moto comes with the ``[demo]`` extra; without it, one line saying how to get it."""
    if importlib.util.find_spec("moto") is None:
        raise InputError("the emulator needs moto: pip install 'zdd[demo]'")


def emulator_variables(endpoint: str, region: str) -> dict[str, str]:
    """The AWS_* variables that point zdd, boto3 and terraform's AWS provider at it."""
    from generator.demo.moto import terraform_environ

    every = terraform_environ(endpoint, region)
    return {
        **{key: value for key, value in every.items() if key.startswith("AWS_")},
        "AWS_MAX_ATTEMPTS": MAX_ATTEMPTS,
    }


def check_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise InputError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc})") from None


def _wait_for_stop() -> None:
    threading.Event().wait()  # until a stop signal raises KeyboardInterrupt


def _prepare(endpoint: str, region: str, env_files: list[Path], workdir: Path) -> EmulatorReady:
    from generator.demo.moto import create_network, environment_with_network

    variables = emulator_variables(endpoint, region)
    if not env_files:
        return EmulatorReady(endpoint, variables)
    net = create_network(endpoint, region)
    target = workdir.resolve() / "environments"
    for source in env_files:
        environment_with_network(source, net, target)
        # the team's committed provider lock file goes with its copy: plans use it as it is
        lock = source.with_name(f"{source.stem}{LOCK_FILE}")
        if lock.is_file() and not (target / lock.name).exists():
            shutil.copyfile(lock, target / lock.name)
    return EmulatorReady(endpoint, {**variables, "ZDD_ENVIRONMENTS": str(target)}, target, net)


def run_emulator(
    announce: Callable[[EmulatorReady], None],
    *,
    port: int | None = None,
    region: str = DEFAULT_REGION,
    env_files: list[Path] | None = None,
    workdir: Path = Path("build") / "emulator",
    wait: Callable[[], None] = _wait_for_stop,
) -> EmulatorReady:
    """Start the emulator, ``announce`` it, ``wait`` (by default until a stop signal: a
    clean stop, not an error), then stop it. Returns what was announced."""
    require_moto()
    if port is not None:
        check_port(port)
    from generator.demo.emulator import moto_server_process

    with moto_server_process(port=port) as endpoint:
        ready = _prepare(endpoint, region, list(env_files or []), workdir)
        announce(ready)
        with contextlib.suppress(KeyboardInterrupt):  # a stop signal: the way it ends
            wait()
    return ready
