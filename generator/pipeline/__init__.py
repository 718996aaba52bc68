"""CI pipelines generated from the environments: GitHub Actions and GitLab CI."""

from generator.pipeline.model import CI_SYSTEMS, Pins, PipelineEnv
from generator.pipeline.render import (
    DEFAULT_OUT,
    PipelineResult,
    generate_pipeline,
    pipeline_envs,
    render_pipeline,
)

__all__ = [
    "CI_SYSTEMS",
    "DEFAULT_OUT",
    "Pins",
    "PipelineEnv",
    "PipelineResult",
    "generate_pipeline",
    "pipeline_envs",
    "render_pipeline",
]
