"""Expand/contract classification of SQL migrations.

*expand*: old code keeps working (new tables, nullable or defaulted columns, new
indexes, new views). *contract*: old code may break (drops, renames, type
changes, new NOT NULL, dropped constraints or defaults, truncation). *unknown*:
anything zdd cannot parse or judge; it is treated as contract, never as safe.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from generator.errors import InputError
from generator.files import MIGRATION_FILE, read_capped

if TYPE_CHECKING:
    from sqlglot import exp


Dialect = Literal["postgres", "mysql", "sqlite"]
Class = Literal["expand", "contract", "unknown"]
DIALECTS: tuple[Dialect, ...] = ("postgres", "mysql", "sqlite")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    statement: str
    cls: Class
    reason: str

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["class"] = data.pop("cls")
        return data


# A constraint on an added column is judged as the same constraint added on its own
# (ADD CONSTRAINT): where old code's writes can violate it, it is contract.
_VIOLABLE = {
    "UniqueColumnConstraint": "a UNIQUE column: old code's writes (defaults included) may "
    "collide, and the unique index is built while writes wait",
    "PrimaryKeyColumnConstraint": "a PRIMARY KEY column: old code's writes may violate it",
    "CheckColumnConstraint": "a CHECK constraint old code's writes may violate (it may name "
    "other columns)",
    "Reference": "a foreign key old code's writes may violate",
}
# Filling every existing row (identity, auto-increment, stored expressions) rewrites the
# table while writes wait.
_REWRITES = {
    "GeneratedAsIdentityColumnConstraint": "an identity column",
    "AutoIncrementColumnConstraint": "an AUTO_INCREMENT column",
}
_HARMLESS = {
    "DefaultColumnConstraint",
    "NotNullColumnConstraint",
    "CollateColumnConstraint",
    "CharacterSetColumnConstraint",
    "CommentColumnConstraint",
    "OnUpdateColumnConstraint",
}
_SERIAL = ("SERIAL", "BIGSERIAL", "SMALLSERIAL")


def _has_not_null(column: exp.ColumnDef) -> tuple[bool, bool]:
    from sqlglot import exp

    not_null = has_default = False
    for constraint in column.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
            not_null = True
        if isinstance(kind, exp.DefaultColumnConstraint):
            has_default = True
    return not_null, has_default


def _column_constraint(kind: exp.Expr | None, dialect: Dialect) -> tuple[Class, str] | None:
    name = type(kind).__name__
    if name in _VIOLABLE:
        return "contract", f"adds {_VIOLABLE[name]}"
    if name in _REWRITES:
        return "contract", f"adds {_REWRITES[name]}: filling existing rows blocks writes"
    if name == "ComputedColumnConstraint":
        assert kind is not None
        # Postgres before 18 stores every generated column; MySQL and SQLite compute a
        # VIRTUAL one on read (adding it is metadata only).
        if dialect == "postgres" or kind.args.get("persisted"):
            return "contract", "adds a stored generated column: filling it blocks writes"
        return None
    if name in _HARMLESS:
        return None
    return "unknown", f"adds a column with a constraint zdd cannot judge ({name})"


def _added_column(column: exp.ColumnDef, dialect: Dialect) -> tuple[Class, str]:
    for constraint in column.args.get("constraints") or []:
        verdict = _column_constraint(constraint.args.get("kind"), dialect)
        if verdict is not None:
            return verdict
    kind = column.args.get("kind")
    if dialect == "postgres" and kind is not None and kind.sql("postgres").upper() in _SERIAL:
        return "contract", "adds a serial column: filling existing rows blocks writes"
    not_null, has_default = _has_not_null(column)
    if not_null and not has_default:
        return "contract", "adds a NOT NULL column without a default: old code's inserts fail"
    return "expand", "adds a column old code can ignore"


def _added_constraint(action: exp.Expr, dialect: Dialect) -> tuple[Class, str]:
    from sqlglot import exp

    parts = action.expressions
    if (
        dialect == "mysql"
        and parts
        and all(isinstance(p, exp.IndexColumnConstraint) and not p.args.get("kind") for p in parts)
    ):
        return "expand", "adds an index (MySQL builds it online, as CREATE INDEX)"
    return "contract", "adds a constraint old code's writes may violate"


def _alter_action(action: exp.Expr, dialect: Dialect) -> tuple[Class, str]:
    from sqlglot import exp

    if isinstance(action, exp.ColumnDef):
        return _added_column(action, dialect)
    if isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "COLUMN").upper()
        return "contract", f"drops a {kind.lower()} old code may rely on"
    if isinstance(action, exp.RenameColumn):
        return "contract", "renames a column old code still uses"
    if isinstance(action, exp.AlterRename):
        return "contract", "renames a table old code still uses"
    if isinstance(action, exp.ModifyColumn):
        if action.args.get("rename_from") is not None:
            return "contract", "renames and redefines a column old code still uses"
        return "contract", "redefines a column (type or nullability) old code relies on"
    if isinstance(action, exp.AlterColumn):
        if action.args.get("dtype") is not None:
            return "contract", "changes a column's type; narrowing breaks old code"
        if action.args.get("default") is not None:
            return "expand", "sets a column default"
        if action.args.get("drop") and action.args.get("allow_null") is not None:
            return "expand", "drops NOT NULL: old code still writes values"
        if action.args.get("drop"):
            return "contract", "drops a default old code's inserts rely on"
        if action.args.get("allow_null") is not None:
            return "contract", "sets NOT NULL on an existing column: old code may write NULL"
        return "unknown", "an ALTER COLUMN zdd cannot judge"
    if isinstance(action, exp.AddConstraint):
        return _added_constraint(action, dialect)
    if type(action).__name__.startswith("Drop"):  # DropPrimaryKey and kin
        return "contract", "drops a key or constraint old code may rely on"
    return "unknown", f"an ALTER TABLE action zdd cannot judge ({type(action).__name__})"


def classify(statement: exp.Expr, dialect: Dialect) -> tuple[Class, str]:
    """Classify one parsed statement."""
    from sqlglot import exp

    if isinstance(statement, exp.Create):
        kind = str(statement.args.get("kind") or "").upper()
        if statement.args.get("replace"):
            return "contract", f"replaces an existing {kind.lower()} old code may read"
        if kind == "INDEX":
            if statement.args.get("unique"):
                return "contract", "a unique index rejects writes old code may still make"
            if dialect == "postgres" and not statement.args.get("concurrently"):
                return "contract", "blocks writes while it builds: use CREATE INDEX CONCURRENTLY"
            return "expand", "adds an index"
        if kind in ("TABLE", "VIEW", "SCHEMA", "SEQUENCE"):
            return "expand", f"adds a {kind.lower()} old code does not use"
        return "unknown", f"CREATE {kind} is not judged"
    if isinstance(statement, exp.Alter):
        verdicts = [_alter_action(a, dialect) for a in statement.args.get("actions") or []]
        if not verdicts:
            return "unknown", "an ALTER zdd cannot judge"
        for wanted in ("unknown", "contract"):
            for cls, reason in verdicts:
                if cls == wanted:
                    return cls, reason
        return "expand", verdicts[0][1]
    if isinstance(statement, exp.Drop):
        kind = str(statement.args.get("kind") or "").lower()
        return "contract", f"drops a {kind or 'object'} old code may rely on"
    if isinstance(statement, exp.TruncateTable):
        return "contract", "truncates data old code reads"
    if isinstance(statement, exp.Insert):
        return "expand", "adds rows"
    if isinstance(statement, exp.Comment):
        return "expand", "changes a comment only"
    if isinstance(statement, exp.Transaction | exp.Commit):
        return "expand", "transaction control"
    if isinstance(statement, exp.Update | exp.Delete):
        return "unknown", "changes data old code may depend on"
    if isinstance(statement, exp.Command):
        head = str(statement.this or "").upper()
        if head == "RENAME":
            return "contract", "renames a table old code still uses"
        return "unknown", f"{head or 'statement'} is not understood by the parser"
    return "unknown", f"{type(statement).__name__} statements are not judged"


def _statements(sql: str, dialect: Dialect) -> list[tuple[int, str]]:
    """Split a file into (first line, text) statements using sqlglot's tokenizer."""
    from sqlglot import TokenType
    from sqlglot.dialects.dialect import Dialect as SqlglotDialect

    tokens = SqlglotDialect.get_or_raise(dialect).tokenize(sql)
    out: list[tuple[int, str]] = []
    start: int | None = None
    line = 1
    end = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append((line, sql[start : end + 1]))
            start = None
            continue
        if start is None:
            start, line = token.start, token.line
        end = token.end
    if start is not None:
        out.append((line, sql[start : end + 1]))
    return out


_EXECUTABLE_COMMENT = re.compile(r"/\*(M?!\d{0,6})(.*?)\*/", re.DOTALL)


def _executable_comments(sql: str) -> str:
    """MySQL (and MariaDB, ``/*M!``) run the content of ``/*!NNNNN ... */``: a comment to
    the parser is a statement to the server. Unwrap them, keeping every offset and line."""

    def unwrap(match: re.Match[str]) -> str:
        return " " * (2 + len(match.group(1))) + match.group(2) + "  "

    return _EXECUTABLE_COMMENT.sub(unwrap, sql)


# Rules that decide on the statement's merits, not on what this sqlglot release can parse:
# a newer parser must not turn them into something else (sqlglot 30.31 learned to parse
# SQLite's WITHOUT ROWID, for example, and that table rightly became "expand").
_ALTER_TABLE = re.compile(r"\s*ALTER\s+TABLE\b", re.IGNORECASE)
_MYSQL_ONLINE_DDL = re.compile(
    r"(?P<before>,\s*)?\b(?P<key>ALGORITHM|LOCK)\s*=?\s*"
    r"(?P<value>DEFAULT|INSTANT|INPLACE|COPY|NONE|SHARED|EXCLUSIVE)\b(?P<after>\s*,)?",
    re.IGNORECASE,
)
_MYSQL_DDL = re.compile(
    r"\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX|DROP\s+INDEX)\b",
    re.IGNORECASE,
)


def _top_level_commas(text: str, dialect: Dialect) -> int:
    from sqlglot import TokenType
    from sqlglot.dialects.dialect import Dialect as SqlglotDialect

    depth = commas = 0
    for token in SqlglotDialect.get_or_raise(dialect).tokenize(text):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.COMMA and depth == 0:
            commas += 1
    return commas


def _decided_before_parsing(text: str, dialect: Dialect) -> tuple[Class, str] | None:
    if dialect == "sqlite" and _ALTER_TABLE.match(text) and _top_level_commas(text, dialect):
        return "unknown", "SQLite takes one action per ALTER TABLE: it rejects this statement"
    if dialect == "mysql" and _MYSQL_DDL.match(text):
        for match in _MYSQL_ONLINE_DDL.finditer(text):
            option = f"{match['key'].upper()}={match['value'].upper()}"
            if option in ("ALGORITHM=COPY", "LOCK=SHARED", "LOCK=EXCLUSIVE"):
                return "contract", f"blocks writes while it runs ({option})"
    return None


def _without_online_ddl_options(text: str) -> str:
    """MySQL's ALGORITHM= and LOCK= choose how a DDL statement runs, not what it changes
    (the blocking ones are decided before parsing): drop them so the change is judged."""
    if not _MYSQL_DDL.match(text):
        return text

    def drop(match: re.Match[str]) -> str:
        return ", " if match["before"] and match["after"] else " "

    return _MYSQL_ONLINE_DDL.sub(drop, text)


def check_sql(sql: str, dialect: Dialect, file: str = "<sql>") -> list[Finding]:
    """Classify every statement of one migration's text."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if dialect == "mysql":
        sql = _executable_comments(sql)
    try:
        statements = _statements(sql, dialect)
    except TokenError as exc:
        return [Finding(file, 1, sql.strip()[:200], "unknown", f"cannot be tokenised: {exc}")]
    findings: list[Finding] = []
    for line, text in statements:
        decided = _decided_before_parsing(text, dialect)
        if decided is not None:
            findings.append(Finding(file, line, " ".join(text.split()), *decided))
            continue
        if dialect == "mysql":
            text = _without_online_ddl_options(text)
        try:
            parsed = sqlglot.parse(text, read=dialect)
        except (ParseError, TokenError) as exc:
            reason = str(exc).splitlines()[0][:160]
            findings.append(Finding(file, line, text, "unknown", f"cannot be parsed: {reason}"))
            continue
        for statement in parsed:
            if statement is None:
                continue
            cls, reason = classify(statement, dialect)
            findings.append(Finding(file, line, " ".join(text.split()), cls, reason))
    return findings


def migration_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"{path}: no such migration file or directory")
    return sorted(p for p in path.rglob("*.sql") if p.is_file())


def check_path(path: Path, dialect: Dialect, display: Callable[[Path], str] = str) -> list[Finding]:
    """Classify every statement of every ``*.sql`` file under ``path``."""
    if dialect not in DIALECTS:
        raise InputError(f"--dialect: expected one of {', '.join(DIALECTS)} (got {dialect!r})")
    findings: list[Finding] = []
    for file in migration_files(path):
        findings.extend(check_sql(read_migration(file, display(file)), dialect, display(file)))
    return findings


def read_migration(file: Path, display: str) -> str:
    """A migration's text; not UTF-8 (or unreadable) is bad input (exit 2), everywhere."""
    try:
        return read_capped(file, MIGRATION_FILE, "migration", display)
    except (OSError, UnicodeDecodeError):
        raise InputError(f"{display}: cannot be read as UTF-8 text") from None


def findings_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2)
