"""The wheel as a platform engineer gets it: built, installed into a clean virtual
environment outside the checkout, and used from an empty directory (the build and the
install: tests/support/wheel.py, fixtures ``wheel`` and ``venv_bin``; test_ecs_release_e2e
drives the same installed wheel through a whole release cycle in an empty git repository).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import generator
from generator.pipeline import Pins
from generator.pipeline.render import GITLAB_FILE, check_system, pipeline_envs, render_pipeline
from tests.conftest import ROOT
from tests.support.wheel import git_files as _git_files
from tests.support.wheel import run as _run
from tests.support.wheel import wheel_environ
from tests.unit.config.test_scaffold import FILLED

pytestmark = pytest.mark.integration


def test_the_wheel_carries_every_template_and_module(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    # What git lists (new files not yet added, too), as it is in the working tree.
    listed = [
        n
        for n in _git_files("--cached", "--others", "--exclude-standard", "templates", "modules")
        if (ROOT / n).exists()
    ]
    assert listed, "git ls-files found no templates or modules"
    missing = [n for n in listed if f"generator/_assets/{n}" not in names]
    assert missing == [], f"not in the wheel: {missing}"
    assert not [n for n in names if "/.terraform" in n], "a developer's .terraform/ in the wheel"
    assert not [n for n in names if n.startswith(("templates/", "modules/"))]  # no top level
    # nothing test-only ships (tests/support stays in the checkout); the emulator does
    assert not [n for n in names if n.startswith(("tests/", "generator/testing/"))]
    assert "generator/demo/moto.py" in names
    assert "generator/_assets/environments/staging.yaml" in names  # `zdd demo`'s example


def test_the_installed_wheel_works_from_an_empty_directory(
    venv_bin: Path, terraform_bin: str, tmp_path: Path
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "ZDD_ENVIRONMENTS", "PYTHONHOME"}
    }
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["ZDD_TERRAFORM"] = terraform_bin
    zdd = str(venv_bin / "zdd")
    repo = tmp_path / "repo"
    repo.mkdir()

    assert _run([zdd, "--version"], repo, env).strip() == f"zdd {generator.__version__}"
    where = _run(
        [str(venv_bin / "python"), "-c", "import generator; print(generator.__file__)"], repo, env
    )
    assert str(ROOT) not in where and str(venv_bin.parent) in where  # the wheel, not the checkout

    # `zdd demo` in a directory without environments/ runs the packaged example
    find = "from generator.demo.stack import demo_environment as d; p, k = d('staging', W); "
    find += "print(k, p.read_text() == R.read_text())"
    example = str(ROOT / "environments" / "staging.yaml")
    setup = f"from pathlib import Path; W = Path('w'); R = Path({example!r}); "
    assert _run([str(venv_bin / "python"), "-c", setup + find], repo, env).split() == [
        "True",
        "True",
    ]
    shutil.rmtree(repo / "w")

    assert "zdd validate --env staging" in _run([zdd, "init"], repo, env)
    path = repo / "environments" / "staging.yaml"
    text = path.read_text()
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    path.write_text(text)
    assert "is valid" in _run([zdd, "validate", "--env", "staging"], repo, env)
    rendered = _run([zdd, "generate", "--env", "staging"], repo, env)
    assert "vendored modules rollback_alarms, twin_environment, weighted_alb" in rendered

    stack = repo / "build" / "staging"
    _run([terraform_bin, "fmt", "-check", "-recursive", "-diff"], stack, env)
    _run([terraform_bin, "get"], stack, env)
    everything = "".join(p.read_text() for p in stack.rglob("*.tf"))
    assert str(venv_bin.parent) not in everything and str(ROOT) not in everything

    moved = tmp_path / "artifact" / "staging"
    shutil.copytree(stack, moved, symlinks=True)
    shutil.rmtree(repo / "build")  # nothing may point back at the original
    _run([terraform_bin, "get"], moved, env)

    out = _run([zdd, "demo", "--speed", "0.3"], repo, env)
    assert "the releases behaved as expected" in out


# -- the generated pipelines' install step, run as written ----------------------------------

TOOLS = ("bash", "sh", "sed", "mkdir", "id", "cat", "dirname", "uname")


def _install_step(system: str, requirement: str) -> tuple[str, dict[str, str]]:
    """The install script of a generated pipeline, exactly as written, and its variables."""
    envs = pipeline_envs([str(ROOT / "environments" / "staging.yaml")], ROOT)
    files = render_pipeline(check_system(system), envs, Pins(zdd_requirement=requirement)).files
    if system == "gitlab":
        doc = yaml.safe_load(files[GITLAB_FILE])
        return doc[".zdd"]["before_script"][0], {k: str(v) for k, v in doc["variables"].items()}
    doc = yaml.safe_load(files["zdd-staging.yml"])
    steps = [step for job in doc["jobs"].values() for step in job["steps"]]
    (script,) = {s["run"] for s in steps if s.get("name", "").startswith("Install Terraform")}
    return script, {k: str(v) for k, v in doc["env"].items()}


def _image(tmp: Path, terraform_bin: str, python: Path) -> dict[str, str]:
    """A clean environment without git (nor apt-get): a few tools, the image's python3, and
    terraform at the pinned version (so the step downloads nothing)."""
    bin_dir = tmp / "image-bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    # A script, not a link: a venv's python run through a link elsewhere is not that venv.
    (bin_dir / "python3").write_text(f'#!{shutil.which("sh")}\nexec "{python}" "$@"\n')
    (bin_dir / "python3").chmod(0o755)
    (bin_dir / "terraform").symlink_to(terraform_bin)
    assert shutil.which("git", path=str(bin_dir)) is None
    return {
        "PATH": str(bin_dir),
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "RUNNER_TEMP": str(tmp / "runner"),
        "GITHUB_PATH": str(tmp / "github_path"),
        # the step installs zdd itself; its dependencies come from an index this test lacks
        "PIP_NO_DEPS": "1",
        "PIP_NO_INDEX": "1",
    }


def _run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "runner").mkdir(exist_ok=True)
    argv = [env["PATH"] + "/bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("system", ["gitlab", "github"])
def test_each_pipelines_install_step_installs_the_wheel_in_an_image_without_git(
    system: str, wheel: Path, terraform_bin: str, tmp_path: Path
) -> None:
    image_python = tmp_path / "image-python"
    # GitLab's job installs with the image's pip; GitHub's makes a venv of its own
    pip = [] if system == "gitlab" else ["--without-pip"]
    _run([sys.executable, "-m", "venv", *pip, str(image_python)], tmp_path)
    base = _run(
        [str(image_python / "bin" / "python3"), "-c", "import sys; print(sys.prefix)"], tmp_path
    )
    assert base.strip() == str(image_python)  # pip installs into this venv, nowhere else
    env = _image(tmp_path, terraform_bin, image_python / "bin" / "python3")

    script, variables = _install_step(system, f"zdd @ {wheel.as_uri()}")
    run = _run_step(script, {**env, **variables}, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    where = image_python if system == "gitlab" else tmp_path / "runner" / "zdd-tools" / "venv"
    assert (where / "bin" / "zdd").is_file(), run.stdout + run.stderr  # in the image's python
    if system == "github":
        assert f"{where / 'bin'}\n" in (tmp_path / "github_path").read_text()

    git_url = "zdd @ git+https://git.example/zdd.git@v0.1.0"
    script, variables = _install_step(system, git_url)
    run = _run_step(script, {**env, **variables}, tmp_path)
    assert run.returncode == 1
    where_said = "image" if system == "gitlab" else "runner"
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"zdd: ZDD_INSTALL ({git_url}) installs zdd from git, but this {where_said} has no git"
        )
    )


def test_the_installed_wheels_emulator_serves_a_new_repository(
    venv_bin: Path, tmp_path: Path
) -> None:
    """`zdd emulator` from the wheel: the emulator (moto with zdd's additions) ships in it,
    creates what the filled-in environment names, and stops on Ctrl-C (exit 0)."""
    env = {k: v for k, v in wheel_environ(venv_bin).items() if not k.startswith("AWS_")}
    zdd = str(venv_bin / "zdd")
    _run([zdd, "init"], tmp_path, env)
    path = tmp_path / "environments" / "staging.yaml"
    text = path.read_text()
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    path.write_text(text)
    proc = subprocess.Popen(
        [zdd, "emulator", "--env", "staging", "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        variables = ready["variables"]
        assert variables["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        copy = Path(variables["ZDD_ENVIRONMENTS"]) / "staging.yaml"
        assert ready["network"]["vpc_id"] in copy.read_text()
        said = _run([zdd, "validate", "--env", "staging"], tmp_path, {**env, **variables})
        assert "is valid" in said  # the copy on the emulator's network
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
