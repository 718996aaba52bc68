"""What a report covers: the deployments and refusals of one service and environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.journal.model import Deployment, Refusal


@dataclass(frozen=True)
class Report:
    service: str
    environment: str
    deployments: list[Deployment]  # oldest first
    refusals: list[Refusal] = field(default_factory=list)
    generated_at: float = 0.0
