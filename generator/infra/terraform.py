"""Every terraform call goes through here; no other module imports python-terraform.

python-terraform 0.10.1 is used to build command lines only. Its ``cmd`` never
raises by default, hides output until the process ends, and pops its own
``synchronous`` option only after building the command line (so it would be
passed to terraform). zdd therefore runs the process itself: one function that
logs the command, streams each line as it comes, keeps the output, and raises
``TerraformError`` with the exit code and the tail of stderr.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from python_terraform import IsFlagged, IsNotFlagged
from python_terraform import Terraform as _PyTerraform

from generator.errors import InputError, TerraformError, TerraformInterrupted, TerraformTimeout
from generator.files import atomic_write, kind_of
from generator.infra.progress import Progress, duration
from generator.infra.terraform_binary import MIN_VERSION, check_version, find_terraform

if TYPE_CHECKING:
    from generator.infra.outputs import StackOutputs
    from generator.infra.plan import PlanSummary

log = logging.getLogger("zdd.terraform")
__all__ = ["MIN_VERSION", "Limits", "Run", "Terraform", "check_version", "find_terraform"]
# After a stop signal, how long terraform gets to stop gracefully before it is killed:
# it finishes the API calls in flight, writes state and releases the state lock.
STOP_SECONDS = 60.0


class Run(NamedTuple):
    """The outcome of one terraform command.

    A NamedTuple, not a dataclass: importing dataclasses (and inspect with it) would
    add about 15 ms to every process that only wraps terraform.
    """

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def stop_gracefully(proc: subprocess.Popen[str]) -> str:
    """SIGINT to terraform's process group, then wait up to ``STOP_SECONDS``; then SIGKILL.
    Returns what happened, for the error and the journal. Never raises for a signal: a
    second one while waiting kills terraform at once (its own convention for Ctrl-C twice)."""
    # Imported here: the interrupts module pulls in dataclasses (and inspect), about 8 ms
    # that every process wrapping terraform would pay (benchmarks/process_bench.py).
    from generator import interrupts

    seen = len(interrupts.received())
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except OSError:
        return f"terraform had already exited ({proc.poll()})"
    deadline = time.monotonic() + STOP_SECONDS
    why = f"did not stop within {STOP_SECONDS:g}s of SIGINT"
    try:
        while True:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = proc.wait(timeout=0.2)
                return f"terraform was sent SIGINT and stopped (exit {code}); no weight was moved"
            if len(interrupts.received()) > seen:  # the signal handler absorbs later ones
                why = "was interrupted twice"
                break
            if time.monotonic() > deadline:
                break
    except KeyboardInterrupt:
        why = "was interrupted twice"
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.wait(timeout=10)
    return (
        f"terraform {why} and was killed (SIGKILL); its state lock may still be held "
        "(`terraform force-unlock`); no weight was moved"
    )


Echo = Callable[[str], None]
Waiter = Callable[["subprocess.Popen[str]", float], "int | None"]


class Limits(NamedTuple):
    """Wall-clock limits of one terraform command, seconds (the environment's ``terraform``
    section); defaults suit real AWS, where an ALB or an ECS service takes minutes."""

    init: float = 600.0
    plan: float = 900.0  # plan, show, output, get, providers lock
    apply: float = 1800.0
    heartbeat: float = 60.0  # how often a long run says what it still waits for

    def for_command(self, sub: str) -> tuple[float, str]:
        """The limit of ``terraform SUB`` and the setting it comes from."""
        kind = "init" if sub == "init" else "apply" if sub in ("apply", "destroy") else "plan"
        return float(getattr(self, kind)), f"terraform.{kind}_timeout_seconds"


def wait_for(proc: subprocess.Popen[str], seconds: float) -> int | None:
    """The exit code once ``proc`` ends within ``seconds``; None when it still runs."""
    try:
        return proc.wait(timeout=max(seconds, 0.0))
    except subprocess.TimeoutExpired:
        return None


class Terraform:
    """Typed operations on one working directory."""

    def __init__(
        self,
        working_dir: Path,
        *,
        binary: str | None = None,
        lock_timeout: str = "0s",
        echo: Echo | None = None,
        env: Mapping[str, str] | None = None,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        waiter: Waiter = wait_for,
    ) -> None:
        self.working_dir = Path(working_dir)
        self.binary = find_terraform(binary)
        self.lock_timeout = lock_timeout
        self.echo = echo
        self.limits = limits or Limits()
        self.clock = clock
        self.waiter = waiter
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("TF_IN_AUTOMATION", "1")
        cache = self.env.get("TF_PLUGIN_CACHE_DIR")
        if cache:
            Path(cache).mkdir(parents=True, exist_ok=True)
        self._argv_builder = _PyTerraform(
            working_dir=str(self.working_dir), terraform_bin_path=self.binary
        )

    def argv(self, command: str, *args: str, **options: Any) -> list[str]:
        """The command line python-terraform builds, always with -input=false -no-color."""
        opts: dict[str, Any] = {"input": False, "no_color": IsFlagged, **options}
        built: list[str] = self._argv_builder.generate_cmd_string(command, *args, **opts)
        return built

    def run(self, argv: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> Run:
        """Run one command, streaming stdout lines to ``echo`` as they come.

        Terraform runs in its own process group, so a terminal's Ctrl-C reaches zdd
        alone; zdd forwards one SIGINT, waits (bounded) and raises ``TerraformInterrupted``:
        terraform is never left running as an orphan that holds the state lock.
        """
        log.info("running: %s", " ".join(argv))
        if not self.working_dir.is_dir():
            raise InputError(f"{self.working_dir}: no such stack directory; run `zdd generate`")
        check_stack_files(self.working_dir)
        proc = subprocess.Popen(
            argv,
            cwd=self.working_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        out_lines: list[str] = []
        err_chunks: list[str] = []
        progress = Progress(self.clock)
        readers = [
            threading.Thread(target=self._read_out, args=(proc, out_lines, progress), daemon=True),
            threading.Thread(
                target=lambda: err_chunks.append(proc.stderr.read() if proc.stderr else ""),
                daemon=True,
            ),
        ]
        for reader in readers:
            reader.start()
        try:
            returncode = self._wait(proc, argv, progress)
        except TerraformTimeout:
            raise
        except KeyboardInterrupt:  # a stop signal: terraform stops too, and is waited for
            raise TerraformInterrupted(argv, stop_gracefully(proc)) from None
        except BaseException:
            stop_gracefully(proc)
            raise
        for reader in readers:
            reader.join()
        run = Run(argv, returncode, "".join(out_lines), "".join(err_chunks))
        if returncode not in ok_codes:
            raise TerraformError(argv, returncode, run.stderr or run.stdout)
        return run

    def _wait(self, proc: subprocess.Popen[str], argv: list[str], progress: Progress) -> int:
        """Wait for terraform within its time limit, saying every ``heartbeat`` seconds what
        it still works on; past the limit it is stopped and ``TerraformTimeout`` names
        the resources it was still on."""
        sub = argv[1] if len(argv) > 1 else "run"
        limit, setting = self.limits.for_command(sub)
        started = self.clock()
        deadline, beat = started + limit, started + self.limits.heartbeat
        while True:
            code = self.waiter(proc, min(deadline, beat) - self.clock())
            if code is not None:
                return code
            now = self.clock()
            if now >= deadline:
                busy = progress.describe()  # before stopping: what it was stuck on
                raise TerraformTimeout(argv, limit, setting, busy, stop_gracefully(proc))
            if now >= beat:
                beat = now + self.limits.heartbeat
                busy = progress.describe()
                if self.echo is not None:
                    self.echo(
                        f"zdd: terraform {sub} still running after {duration(now - started)}"
                        + (f"; in progress: {busy}" if busy else "")
                    )

    def _read_out(self, proc: subprocess.Popen[str], lines: list[str], progress: Progress) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            progress.see(line)
            if self.echo is not None:
                self.echo(line.rstrip("\n"))

    # -- operations -------------------------------------------------------

    def init(
        self,
        *,
        backend: bool = True,
        backend_config: Mapping[str, str] | None = None,
        lockfile_readonly: bool = False,
    ) -> Run:
        """``terraform init``; ``backend=False`` for plan-only or local checks.

        ``lockfile_readonly``: the provider lock file is the team's (committed); terraform
        must use it as it is and fail rather than change it."""
        options: dict[str, Any] = {
            "backend": backend,
            "lock_timeout": self.lock_timeout if backend else None,
            "reconfigure": IsNotFlagged,
            "lockfile": "readonly" if lockfile_readonly else None,
        }
        if backend_config:
            options["backend_config"] = dict(backend_config)
        return self.run(self.argv("init", **options))

    def get_modules(self) -> Run:
        """``terraform get``: the modules alone (no providers, no backend)."""
        return self.run([self.binary, "get", "-no-color"])

    def lock_providers(self, platforms: tuple[str, ...], fs_mirror: Path | None = None) -> Run:
        """``terraform providers lock`` for ``platforms`` (from the registry, or the mirror)."""
        argv = [self.binary, "providers", "lock", "-no-color"]
        argv += [f"-platform={p}" for p in platforms]
        if fs_mirror is not None:
            argv.append(f"-fs-mirror={fs_mirror}")
        return self.run(argv)

    def plan(self, plan_file: Path, *, variables: Mapping[str, str] | None = None) -> bool:
        """Plan into ``plan_file``; True when there are changes (exit code 2)."""
        options: dict[str, Any] = {
            "out": str(plan_file),
            "detailed_exitcode": IsFlagged,
            "lock_timeout": self.lock_timeout,
            # A list, not a dict: python-terraform turns a dict into a temporary
            # var file that only its own cmd() cleans up.
            "var": [f"{k}={v}" for k, v in (variables or {}).items()],
        }
        run = self.run(self.argv("plan", **options), ok_codes=(0, 2))
        return run.returncode == 2

    def show_plan(self, plan_file: Path, *, save_json: Path | None = None) -> PlanSummary:
        """``terraform show -json PLAN`` parsed into a typed summary.

        With ``save_json`` the JSON is also written there (for CI artifacts and
        reviewers' tools) instead of ever being printed.
        """
        run = self._quiet(self.argv("show", str(plan_file), json=IsFlagged, input=None))
        from generator.infra.plan import parse_plan

        try:
            data = json.loads(run.stdout)
        except ValueError:
            raise TerraformError(run.argv, 0, "show -json did not print JSON") from None
        if save_json is not None:
            atomic_write(save_json, run.stdout if run.stdout.endswith("\n") else run.stdout + "\n")
        return parse_plan(data, str(plan_file))

    def _quiet(self, argv: list[str]) -> Run:
        """Run without echoing: machine output (JSON) is never shown line by line."""
        echo, self.echo = self.echo, None
        try:
            return self.run(argv)
        finally:
            self.echo = echo

    def apply(self, plan_file: Path) -> Run:
        """Apply a saved plan, and only a saved plan: no -auto-approve of a fresh one."""
        if not Path(self.working_dir, plan_file).is_file():
            raise InputError(f"{plan_file}: no such plan file")
        return self.run(self.argv("apply", str(plan_file), lock_timeout=self.lock_timeout))

    def output(self) -> StackOutputs:
        """``terraform output -json`` parsed into the stack outputs contract."""
        from generator.infra.outputs import parse_outputs  # pydantic only when outputs are read

        run = self._quiet(self.argv("output", json=IsFlagged, input=None))
        return parse_outputs(run.stdout, "terraform output")

    def raw_outputs(self) -> dict[str, Any]:
        """Every output's value, for stacks that are not zdd's."""
        run = self._quiet(self.argv("output", json=IsFlagged, input=None))
        data = json.loads(run.stdout or "{}")
        return {k: v.get("value") for k, v in data.items()}


_TERRAFORM_READS = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".hcl")


def check_stack_files(stack_dir: Path) -> None:
    """Refuse a stack directory whose Terraform files include a FIFO, a device or a socket.

    Terraform opens every ``*.tf`` of its directory: a FIFO there blocks it forever and
    a device feeds it without end. Checked before each terraform run (stat, following
    links: a link to a regular file is fine for reading; zdd never writes through one).
    """
    try:
        entries = list(os.scandir(stack_dir))
    except OSError:
        return  # terraform says what is wrong with the directory
    for entry in entries:
        if not entry.name.endswith(_TERRAFORM_READS):
            continue
        try:
            mode = os.stat(entry.path).st_mode
        except OSError:
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise InputError(
                f"{entry.path}: is {kind_of(mode)}; Terraform would read it without end or "
                "block on it: move it away"
            )
