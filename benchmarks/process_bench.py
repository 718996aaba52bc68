"""Whole-process figures: the terraform wrapper and `zdd --help`, each beside two baselines.

A Python process pays for its interpreter and for the libraries it must import before
it does anything: python-terraform for the wrapper, typer for the command line. Those
floors are measured in the same run, so the judged ratios say what zdd itself adds;
the ratios against the bare terraform binary are shown too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.infra.terraform import Terraform

Result = dict[str, Any]
CONFIG = 'variable "x" {\n  default = "a"\n}\n\noutput "y" {\n  value = "${var.x}-b"\n}\n'

# The thinnest command line on typer, with zdd's settings: what any typer CLI pays.
TYPER_APP = '''
import typer

app = typer.Typer(
    name="hello", no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None
)


@app.callback()
def root() -> None:
    """A one-command typer application."""


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


app()
'''


def _fresh(base: Path, name: str) -> Path:
    directory = base / name
    directory.mkdir()
    (directory / "main.tf").write_text(CONFIG)
    return directory


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def wrapper_overhead(trials: int, terraform: str, root: Path) -> Result:
    """init + plan of a provider-free configuration: through zdd's wrapper, straight to the
    binary, and (whole processes) through the thinnest Python script on python-terraform."""
    samples: dict[str, list[float]] = {
        k: [] for k in ("in_wrapper", "in_raw", "proc_wrapper", "proc_floor", "proc_raw")
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        probe = Terraform(_fresh(base, "probe"), binary=terraform)
        init_argv = probe.argv("init", backend=False, reconfigure=None)
        plan_argv = probe.argv(
            "plan", out="p.tfplan", detailed_exitcode=True, lock_timeout="0s", var=[]
        )
        wrapper_script = (
            "import sys; from pathlib import Path; "
            "from generator.infra.terraform import Terraform; "
            "d = Path(sys.argv[1]); t = Terraform(d); t.init(backend=False); t.plan(d / 'p.tfplan')"
        )
        floor_script = (
            "import subprocess, sys, python_terraform; "
            f"subprocess.run({init_argv!r}, cwd=sys.argv[1], capture_output=True, check=True); "
            f"subprocess.run({plan_argv!r}, cwd=sys.argv[1], capture_output=True)"
        )
        env = {**os.environ, "ZDD_TERRAFORM": terraform}

        def through_wrapper(d: Path) -> None:
            tf = Terraform(d, binary=terraform)
            tf.init(backend=False)
            tf.plan(d / "p.tfplan")

        def straight(d: Path) -> None:
            subprocess.run(init_argv, cwd=d, capture_output=True, check=True)
            subprocess.run(plan_argv, cwd=d, capture_output=True, check=False)

        def python(script: str, d: Path) -> None:
            subprocess.run(
                [sys.executable, "-c", script, str(d)],
                cwd=root,
                check=True,
                capture_output=True,
                env=env,
            )

        def shell(d: Path) -> None:
            line = f"{' '.join(init_argv)} >/dev/null && {' '.join(plan_argv)} >/dev/null; true"
            subprocess.run(["sh", "-c", line], cwd=d, check=True)

        runs: dict[str, Callable[[Path], None]] = {
            "in_wrapper": through_wrapper,
            "in_raw": straight,
            "proc_wrapper": lambda d: python(wrapper_script, d),
            "proc_floor": lambda d: python(floor_script, d),
            "proc_raw": shell,
        }
        for i in range(trials):
            # rotate the order so that no variant always runs first (or last)
            names = list(runs)
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                d = _fresh(base, f"{name}{i}")
                samples[name].append(_timed(lambda d=d, name=name: runs[name](d)))
    m = {k: _median(v) for k, v in samples.items()}
    ratio_in = m["in_wrapper"] / m["in_raw"]
    ratio_floor = m["proc_wrapper"] / m["proc_floor"]
    return {
        "trials": trials,
        "in_process_s": {
            "wrapper": round(m["in_wrapper"], 4),
            "raw": round(m["in_raw"], 4),
            "ratio": round(ratio_in, 3),
        },
        "whole_process_s": {
            "wrapper": round(m["proc_wrapper"], 4),
            "python_terraform_floor": round(m["proc_floor"], 4),
            "raw": round(m["proc_raw"], 4),
            "ratio_to_floor": round(ratio_floor, 3),
            "ratio_to_raw": round(m["proc_wrapper"] / m["proc_raw"], 3),
            "floor_ratio_to_raw": round(m["proc_floor"] / m["proc_raw"], 3),
        },
        "checks": [
            ("wrapper in process <= 1.03x raw terraform", ratio_in <= 1.03),
            ("wrapper as whole process <= 1.2x a bare python-terraform script", ratio_floor <= 1.2),
        ],
        "shown": [
            (
                f"wrapper as whole process <= 1.3x raw terraform: zdd "
                f"{m['proc_wrapper'] / m['proc_raw']:.2f}x, bare python-terraform script "
                f"{m['proc_floor'] / m['proc_raw']:.2f}x",
                m["proc_wrapper"] <= 1.3 * m["proc_raw"],
            )
        ],
    }


def startup(trials: int, terraform: str, zdd: Path) -> Result:
    """`zdd --help` beside a one-command typer app's --help and `terraform version`."""
    samples: dict[str, list[float]] = {"zdd": [], "typer": [], "terraform": []}
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp, "hello.py")
        app.write_text(TYPER_APP)
        commands = {
            "zdd": [str(zdd), "--help"],
            "typer": [sys.executable, str(app), "--help"],
            "terraform": [terraform, "version"],
        }
        for _ in range(trials):  # interleaved
            for name, argv in commands.items():
                samples[name].append(
                    _timed(lambda a=argv: subprocess.run(a, capture_output=True, check=True))
                )
    m = {k: _median(v) for k, v in samples.items()}
    ratio = m["zdd"] / m["typer"]
    return {
        "zdd_help_s": round(m["zdd"], 4),
        "typer_app_help_s": round(m["typer"], 4),
        "terraform_version_s": round(m["terraform"], 4),
        "ratio_to_typer_app": round(ratio, 3),
        "ratio_to_terraform": round(m["zdd"] / m["terraform"], 3),
        "checks": [("zdd --help <= 1.5x a one-command typer app's --help", ratio <= 1.5)],
        "shown": [
            (
                f"zdd --help <= 1.5x terraform version: zdd {m['zdd'] / m['terraform']:.2f}x, "
                f"one-command typer app {m['typer'] / m['terraform']:.2f}x",
                m["zdd"] <= 1.5 * m["terraform"],
            )
        ],
    }
