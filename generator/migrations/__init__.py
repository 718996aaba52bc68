"""Database changes: classify statements expand or contract, and gate releases on them."""

from generator.migrations.classify import Finding, check_path, check_sql, findings_json
from generator.migrations.gates import finalize, pending_release_migrations

__all__ = [
    "Finding",
    "check_path",
    "check_sql",
    "finalize",
    "findings_json",
    "pending_release_migrations",
]
