"""The expand/contract gates: what a release may ship, and when contracts may run."""

from __future__ import annotations

from pathlib import Path

from generator.config import Environment
from generator.errors import InputError, MigrationRefused
from generator.journal.model import JournalDoc
from generator.journal.store import DeploymentStore, update
from generator.migrations.classify import Finding, check_sql, migration_files


def _migrations_dir(env: Environment, base: Path) -> Path | None:
    if env.database is None:
        return None
    path = Path(env.database.migrations)
    return path if path.is_absolute() else base / path


def _shipped(store: DeploymentStore) -> set[str]:
    doc = store.load()
    names: set[str] = set(doc.finalized_migrations)
    for dep in [*doc.history, doc.current]:
        if dep is not None and dep.status == "promoted":
            names.update(dep.migrations)
    return names


def pending_release_migrations(env: Environment, base: Path, store: DeploymentStore) -> list[str]:
    """Migrations this release ships; refuse (exit 3) if any would contract the schema.

    During a release the old colour can always take traffic back, so every
    pending contract or unknown statement is refused: it belongs to `zdd finalize`.
    """
    directory = _migrations_dir(env, base)
    if directory is None or env.database is None:
        return []
    shipped = _shipped(store)
    files = [f for f in migration_files(directory) if f.name not in shipped]
    risky: list[Finding] = []
    for file in files:
        for finding in check_sql(file.read_text(encoding="utf-8"), env.database.dialect, file.name):
            if finding.cls != "expand":
                risky.append(finding)
    if risky:
        lines = "\n".join(f"  {f.file}:{f.line}: {f.cls}: {f.reason}" for f in risky)
        raise MigrationRefused(
            "pending migrations would break the old colour while it can still take traffic "
            f"back; ship them with `zdd finalize` after the old colour is retired:\n{lines}"
        )
    return [f.name for f in files]


def finalize(env: Environment, base: Path, store: DeploymentStore, now: float) -> list[str]:
    """Record the pending contract migrations as safe to run: the old colour is retired.

    Refused while a deployment is in progress or the last promotion is still
    inside ``database.rollback_window_seconds``.
    """
    directory = _migrations_dir(env, base)
    if directory is None or env.database is None:
        raise InputError(f"{env.name}: no database section: nothing to finalize")
    doc = store.load()
    if doc.current is not None and not doc.current.terminal:
        raise MigrationRefused(f"deployment {doc.current.id} is in progress; finalize after it")
    last = doc.last_promoted()
    window = env.database.rollback_window_seconds
    if last is not None and last.finished_at is not None and now - last.finished_at < window:
        left = window - (now - last.finished_at)
        raise MigrationRefused(
            f"{last.from_colour} may still take traffic back for {left:.0f}s "
            f"(database.rollback_window_seconds = {window:g}); finalize after that"
        )
    shipped = _shipped(store)
    names = [f.name for f in migration_files(directory) if f.name not in shipped]

    def record(d: JournalDoc) -> None:
        d.finalized_migrations = sorted({*d.finalized_migrations, *names})

    update(store, record)
    return names
