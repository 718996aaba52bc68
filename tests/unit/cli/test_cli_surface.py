"""The CLI as a whole: help everywhere, documented everywhere, fast to start."""

from __future__ import annotations

import subprocess
import sys

import typer

from generator.cli import app
from tests.conftest import ROOT
from tools.docs import END, START, config_reference

README = (ROOT / "README.md").read_text()


def _commands() -> dict[str, object]:
    root = typer.main.get_command(app)
    found: dict[str, object] = {}
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            for sub, inner in command.commands.items():
                found[f"{name} {sub}"] = inner
        else:
            found[name] = command
    return found


def test_every_command_has_help_and_a_readme_section() -> None:
    commands = _commands()
    assert {
        "init",
        "validate",
        "generate",
        "plan",
        "apply",
        "check-plan",
        "shift",
        "deploy",
        "status",
        "promote",
        "abort",
        "resume",
        "finalize",
        "db check",
        "demo",
        "report",
    } <= set(commands)
    for name, command in commands.items():
        assert (command.help or "").strip(), f"zdd {name} has no help text"
        assert f"### zdd {name}\n" in README, f"README has no section for zdd {name}"
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"zdd {name} {param.opts[0]} has no help"


def test_shared_options_mean_the_same_everywhere() -> None:
    seen: dict[str, set[str]] = {}
    for command in _commands().values():
        for param in command.params:
            if param.param_type_name == "option" and param.opts[0] in (
                "--env",
                "--json",
                "--store",
                "--outputs",
            ):
                seen.setdefault(param.opts[0], set()).add(param.help or "")
    assert all(len(helps) == 1 for helps in seen.values()), seen


def test_configuration_reference_matches_the_models() -> None:
    section = README.split(START, 1)[1].split(END, 1)[0].strip()
    assert section == config_reference(), "run: python -m tools.docs README.md"


def test_exit_codes_are_in_help_and_readme(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    for code in ("0 done as asked", "2 bad input", "3 refused for safety", "4 the world disagrees"):
        assert code in " ".join(result.stdout.split())
    for code in range(5):
        assert f"| {code} |" in README


def test_readme_starts_with_demo_then_test() -> None:
    commands = [
        line.split("#")[0].strip() for line in README.splitlines() if line.startswith("make ")
    ]
    assert commands[:2] == ["make demo", "make test"]


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['zdd', '--help']\n"
        "from generator.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ['boto3', 'botocore', 'moto', 'jinja2', 'python_terraform', 'sqlglot',"
        " 'pydantic', 'rich']\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "LOADED []" in out, out


def test_usage_errors_exit_2(run_cli) -> None:
    assert run_cli("shift").exit_code == 2  # --env missing
    assert run_cli("no-such-command").exit_code == 2
    result = run_cli(
        "shift", "--env", "environments/staging.yaml", "--to", "purple", "--outputs", "missing.json"
    )
    assert result.exit_code == 2
