"""Expand/contract classification, the release gate and finalize."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.config import Database
from generator.errors import InputError, MigrationRefused
from generator.journal.local import LocalStore
from generator.journal.protocol import update
from generator.migrations import check_sql, finalize, pending_release_migrations
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from tests.conftest import engine_for
from tests.fixtures.migration_corpus import CORPUS

CASES = [(d, sql, want) for d, items in CORPUS.items() for sql, want in items]


def test_corpus_size_and_coverage() -> None:
    for dialect, items in CORPUS.items():
        assert len(items) >= 40, dialect
        assert {w for _, w in items} == {"expand", "contract", "unknown"}


@pytest.mark.parametrize(
    ("dialect", "sql", "want"), CASES, ids=[f"{d}:{s[:40]}" for d, s, _ in CASES]
)
def test_statement_class(dialect: str, sql: str, want: str) -> None:
    findings = check_sql(sql + ";", dialect)  # type: ignore[arg-type]
    assert findings
    assert {f.cls for f in findings} == {want}, [(f.cls, f.reason) for f in findings]
    assert all(f.reason for f in findings)


def test_lines_and_files_are_reported() -> None:
    sql = "-- 002: add a column\nALTER TABLE a ADD COLUMN b INT;\n\nDROP TABLE c;\n"
    findings = check_sql(sql, "postgres", "002_users.sql")
    assert [(f.file, f.line, f.cls) for f in findings] == [
        ("002_users.sql", 2, "expand"),
        ("002_users.sql", 4, "contract"),
    ]


def test_db_check_cli(run_cli, tmp_path: Path) -> None:
    (tmp_path / "001_expand.sql").write_text(
        "CREATE TABLE a (id INT);\nALTER TABLE a ADD COLUMN b INT;\n"
    )
    ok = run_cli("db", "check", str(tmp_path), "--dialect", "sqlite")
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    (tmp_path / "002_contract.sql").write_text("ALTER TABLE a RENAME COLUMN b TO c;\nVACUUM;\n")
    refused = run_cli("db", "check", str(tmp_path), "--dialect", "sqlite", "--json")
    assert refused.exit_code == 3
    records = json.loads(refused.stdout)
    assert {(r["file"].rsplit("/", 1)[-1], r["line"], r["class"]) for r in records} >= {
        ("002_contract.sql", 1, "contract"),
        ("002_contract.sql", 2, "unknown"),
    }
    assert all(set(r) == {"file", "line", "statement", "class", "reason"} for r in records)
    assert run_cli("db", "check", str(tmp_path / "nope"), "--dialect", "sqlite").exit_code == 2
    assert run_cli("db", "check", str(tmp_path), "--dialect", "oracle").exit_code == 2
    (tmp_path / "003_binary.sql").write_bytes(b"\xff\xfe\x00")
    assert run_cli("db", "check", str(tmp_path), "--dialect", "sqlite").exit_code == 2


@pytest.fixture
def db_env(staging, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001_add.sql").write_text(
        "ALTER TABLE users ADD COLUMN nick TEXT;\n"
    )
    db = Database(migrations="migrations", dialect="postgres", rollback_window_seconds=3600)
    return staging.model_copy(update={"database": db})


def test_release_with_contract_migration_is_refused_before_any_weight_moves(
    db_env, aws, clock, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    (tmp_path / "migrations" / "002_drop.sql").write_text("ALTER TABLE users DROP COLUMN legacy;\n")
    with pytest.raises(MigrationRefused, match=r"002_drop.sql:1: contract") as caught:
        pending_release_migrations(db_env, tmp_path, store)
    assert caught.value.exit_code == 3
    assert aws.weights() == {"blue": 100, "green": 0}


def test_contract_migration_passes_at_finalize_then_releases_flow(
    db_env, aws, clock, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    engine = engine_for(aws, clock, store)
    shipped = pending_release_migrations(db_env, tmp_path, store)
    assert [s.split("@sha256:")[0] for s in shipped] == ["001_add.sql"]
    strategy = db_env.strategy.model_copy(update={"bake_seconds": 10})
    dep = engine.shift(
        ReleaseSpec(build_schedule(strategy), "canary", release="v2", migrations=shipped)
    )
    assert store.load().history[-1].migrations == shipped  # the journal records what shipped
    (tmp_path / "migrations" / "002_drop.sql").write_text("ALTER TABLE users DROP COLUMN legacy;\n")
    with pytest.raises(MigrationRefused, match="may still take traffic back"):
        finalize(db_env, tmp_path, store, now=dep.finished_at + 60)  # inside the window
    assert finalize(db_env, tmp_path, store, now=dep.finished_at + 3601) == ["002_drop.sql"]
    assert pending_release_migrations(db_env, tmp_path, store) == []  # the next release flows


# -- issue 13: the gate cannot be slipped ------------------------------------------------


def test_a_migration_is_its_path_and_content_not_its_name(db_env, clock, tmp_path: Path) -> None:
    """`b/001.sql` dropping a table is not `a/001.sql` that shipped earlier."""
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    migrations = tmp_path / "migrations"
    (migrations / "001_add.sql").unlink()
    (migrations / "a").mkdir()
    (migrations / "a" / "001.sql").write_text("CREATE TABLE a (id INT);\n")
    shipped = pending_release_migrations(db_env, tmp_path, store)
    assert [s.split("@sha256:")[0] for s in shipped] == ["a/001.sql"]
    update(store, lambda d: d.finalized_migrations.extend(shipped))
    (migrations / "b").mkdir()
    (migrations / "b" / "001.sql").write_text("DROP TABLE users;\n")
    with pytest.raises(MigrationRefused, match=r"b/001.sql:1: contract"):
        pending_release_migrations(db_env, tmp_path, store)


def test_a_migration_changed_after_it_shipped_is_refused(db_env, clock, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    shipped = pending_release_migrations(db_env, tmp_path, store)
    update(store, lambda d: d.finalized_migrations.extend(shipped))
    assert pending_release_migrations(db_env, tmp_path, store) == []
    (tmp_path / "migrations" / "001_add.sql").write_text("ALTER TABLE users DROP COLUMN nick;\n")
    with pytest.raises(MigrationRefused, match="changed after they shipped") as caught:
        pending_release_migrations(db_env, tmp_path, store)
    assert caught.value.exit_code == 3
    assert "001_add.sql" in str(caught.value) and "add a new migration" in str(caught.value)
    with pytest.raises(MigrationRefused, match="changed after they shipped"):
        finalize(db_env, tmp_path, store, now=1e12)


def test_an_executable_comment_cannot_slip_through_the_gate(db_env, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mysql = db_env.model_copy(
        update={"database": db_env.database.model_copy(update={"dialect": "mysql"})}
    )
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    (tmp_path / "migrations" / "002.sql").write_text("/*!50000 DROP TABLE users */;\n")
    with pytest.raises(MigrationRefused, match=r"002.sql:1: contract"):
        pending_release_migrations(mysql, tmp_path, store)


def test_a_migration_that_is_not_utf8_is_bad_input_everywhere(
    db_env, clock, tmp_path: Path, run_cli
) -> None:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    (tmp_path / "migrations" / "002_bin.sql").write_bytes(b"\xff\xfeDROP TABLE users;")
    with pytest.raises(InputError, match=r"002_bin.sql: cannot be read as UTF-8") as caught:
        pending_release_migrations(db_env, tmp_path, store)
    assert caught.value.exit_code == 2
    result = run_cli("db", "check", str(tmp_path / "migrations"), "--dialect", "postgres")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
