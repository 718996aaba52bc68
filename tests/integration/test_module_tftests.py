"""`terraform test` of every module: its mocked-provider runs (tests/*.tftest.hcl), then
its run against moto_server (tests/moto/*.tftest.hcl) with the real AWS provider.

Every module is copied out of the checkout (terraform writes .terraform/ beside the
code) and initialised once; then the runs go a few at a time. Much of their time is
the provider waiting (an ALB alone takes 60 s to be reported active), so the runs
against moto start first and the mocked ones fill the CPU meanwhile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.demo.moto import create_network, terraform_environ
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source

pytestmark = pytest.mark.integration

MODULES = sorted(p.name for p in (ROOT / "modules").iterdir() if (p / "tests").is_dir())
KINDS = ("mock", "moto")
COPY_IGNORING = shutil.ignore_patterns(".terraform*", "terraform.tfstate*")


@dataclass(frozen=True)
class Outcome:
    returncode: int
    output: str
    seconds: float


def _declares(module: Path, variable: str) -> bool:
    text = (module / "variables.tf").read_text()
    return re.search(rf'^variable "{variable}"', text, re.M) is not None


def _run_all(
    binary: str, copies: dict[str, Path], url: str, network_vars: list[str]
) -> dict[tuple[str, str], Outcome]:
    """Every module's mock and moto runs, a few at a time, the slow sleepers first."""
    moto_env = terraform_environ(url)
    # Mocked runs must not be able to reach anything: no endpoint, no credentials.
    mock_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    queue: list[tuple[tuple[str, str], list[str], dict[str, str]]] = []
    for kind in ("moto", "mock"):  # moto runs mostly wait on the provider: start them first
        for name in sorted(copies, key=lambda n: (n != "weighted_alb", n)):  # its ALB: 60 s
            argv = [binary, "test", "-no-color"]
            if kind == "moto":
                argv += ["-test-directory=tests/moto"]
                argv += network_vars if _declares(copies[name], "vpc_id") else []
            queue.append(((name, kind), argv, moto_env if kind == "moto" else mock_env))
    width = (os.cpu_count() or 2) + 2
    running: dict[tuple[str, str], tuple[subprocess.Popen[str], float]] = {}
    outcomes: dict[tuple[str, str], Outcome] = {}
    deadline = time.monotonic() + 600
    while queue or running:
        while queue and len(running) < width:
            key, argv, env = queue.pop(0)
            proc = subprocess.Popen(
                argv,
                cwd=copies[key[0]],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            running[key] = (proc, time.monotonic())
        for key, (proc, began) in list(running.items()):
            if proc.poll() is None and time.monotonic() < deadline:
                continue
            if proc.poll() is None:
                proc.kill()
            out, _ = proc.communicate()
            outcomes[key] = Outcome(proc.returncode, out, time.monotonic() - began)
            del running[key]
        time.sleep(0.1)
    return outcomes


@pytest.fixture(scope="module")
def outcomes(
    terraform_bin: str, server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], Outcome]]:
    needs_a_provider_source()
    tmp = tmp_path_factory.mktemp("module-tests")
    cache = tmp / "plugin-cache"
    cache.mkdir()
    copies: dict[str, Path] = {}
    for name in MODULES:
        copies[name] = tmp / name
        shutil.copytree(ROOT / "modules" / name, copies[name], ignore=COPY_IGNORING)
        # One at a time: the plugin cache is not safe for concurrent writers.
        init = subprocess.run(
            [terraform_bin, "init", "-input=false", "-no-color", "-test-directory=tests/moto"],
            cwd=copies[name],
            env={**os.environ, "TF_PLUGIN_CACHE_DIR": str(cache)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert init.returncode == 0, f"terraform init of {name}:\n{init.stdout}{init.stderr}"
    url = server
    network = create_network(url)
    subnets = ", ".join(f'"{s}"' for s in network.subnet_ids[:2])
    network_vars = ["-var", f"vpc_id={network.vpc_id}", "-var", f"subnet_ids=[{subnets}]"]
    began = time.monotonic()
    found = _run_all(terraform_bin, copies, url, network_vars)
    print(f"\nterraform test, {len(found)} runs: {time.monotonic() - began:.0f} s")
    for (name, kind), outcome in sorted(found.items()):
        print(f"  {name:18} {kind}: {outcome.seconds:5.1f} s, exit {outcome.returncode}")
    yield found


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("module", MODULES)
def test_module_tests_pass(
    outcomes: dict[tuple[str, str], Outcome], module: str, kind: str
) -> None:
    outcome = outcomes[module, kind]
    assert outcome.returncode == 0, outcome.output[-6000:]
    assert re.search(r"Success! \d+ passed, 0 failed", outcome.output), outcome.output[-3000:]


def test_every_module_has_both_kinds_of_tests() -> None:
    modules = sorted(p.name for p in (ROOT / "modules").iterdir() if (p / "main.tf").is_file())
    for name in modules:
        tests = ROOT / "modules" / name / "tests"
        assert list(tests.glob("*.tftest.hcl")), f"{name}: no mocked-provider tests"
        assert list((tests / "moto").glob("*.tftest.hcl")), f"{name}: no run against moto_server"
