"""The expand/contract gates: what a release may ship, and when contracts may run.

A migration is identified by its path under the migrations folder and the hash of
its content, recorded as ``PATH@sha256:HASH``: ``a/001.sql`` and ``b/001.sql`` are
different migrations, and a file that changed after it shipped is refused instead
of being taken for the one that shipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from generator.config import Environment
from generator.errors import InputError, MigrationRefused
from generator.journal.model import JournalDoc
from generator.journal.protocol import DeploymentStore, update
from generator.migrations.classify import Finding, check_sql, migration_files, read_migration

_HASH = "@sha256:"


@dataclass(frozen=True)
class Migration:
    path: str  # relative to the migrations folder, with /
    file: Path
    text: str
    digest: str

    @property
    def ident(self) -> str:
        return f"{self.path}{_HASH}{self.digest}"


def _migrations_dir(env: Environment, base: Path) -> Path | None:
    if env.database is None:
        return None
    path = Path(env.database.migrations)
    return path if path.is_absolute() else base / path


def _migrations(directory: Path) -> list[Migration]:
    found = []
    for file in migration_files(directory):
        path = file.relative_to(directory).as_posix() if directory.is_dir() else file.name
        text = read_migration(file, path)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        found.append(Migration(path, file, text, digest))
    return found


def _shipped(store: DeploymentStore) -> dict[str, str | None]:
    """Path -> content hash of every migration shipped or finalized (None: not recorded)."""
    doc = store.load()
    shipped: dict[str, str | None] = {}
    entries = [*doc.finalized_migrations, *doc.archived_migrations]
    for dep in [*doc.history, doc.current]:
        if dep is not None and dep.status == "promoted":
            entries.extend(dep.migrations)
    for entry in entries:
        path, _, digest = entry.partition(_HASH)
        shipped[path] = digest or shipped.get(path)
    return shipped


def _pending(directory: Path, store: DeploymentStore) -> list[Migration]:
    """Migrations not shipped yet; a shipped one whose content changed is refused (exit 3)."""
    shipped = _shipped(store)
    pending, changed = [], []
    for migration in _migrations(directory):
        if migration.path not in shipped:
            pending.append(migration)
        elif shipped[migration.path] not in (None, migration.digest):
            changed.append(
                f"{migration.path} (shipped as {shipped[migration.path]}, now {migration.digest})"
            )
    if changed:
        raise MigrationRefused(
            "migrations changed after they shipped: "
            + "; ".join(changed)
            + ". A shipped migration already ran: restore it and add a new migration instead"
        )
    return pending


def pending_release_migrations(env: Environment, base: Path, store: DeploymentStore) -> list[str]:
    """Migrations this release ships; refuse (exit 3) if any would contract the schema.

    During a release the old colour can always take traffic back, so every
    pending contract or unknown statement is refused: it belongs to `zdd finalize`.
    """
    directory = _migrations_dir(env, base)
    if directory is None or env.database is None:
        return []
    pending = _pending(directory, store)
    risky: list[Finding] = []
    for migration in pending:
        for finding in check_sql(migration.text, env.database.dialect, migration.path):
            if finding.cls != "expand":
                risky.append(finding)
    if risky:
        lines = "\n".join(f"  {f.file}:{f.line}: {f.cls}: {f.reason}" for f in risky)
        raise MigrationRefused(
            "pending migrations would break the old colour while it can still take traffic "
            f"back; ship them with `zdd finalize` after the old colour is retired:\n{lines}"
        )
    return [m.ident for m in pending]


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
    pending = _pending(directory, store)
    names = [m.ident for m in pending]

    def record(d: JournalDoc) -> None:
        d.finalized_migrations = sorted({*d.finalized_migrations, *names})

    update(store, record)
    return [m.path for m in pending]
