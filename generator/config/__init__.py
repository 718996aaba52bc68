"""Environment files: the schema (``model``) and how files become models (``load``)."""

from generator.config.load import (
    display_path,
    environment_dir,
    format_validation_error,
    load_environment,
    parse_environment,
    resolve_env_path,
)
from generator.config.model import (
    Alarms,
    Capacity,
    Container,
    Database,
    Environment,
    HealthCheck,
    Hook,
    Hooks,
    LoadBalancer,
    Network,
    StepSpec,
    Strategy,
    StrategyType,
    is_image_tag,
)

__all__ = [
    "Alarms",
    "Capacity",
    "Container",
    "Database",
    "Environment",
    "HealthCheck",
    "Hook",
    "Hooks",
    "LoadBalancer",
    "Network",
    "StepSpec",
    "Strategy",
    "StrategyType",
    "display_path",
    "environment_dir",
    "format_validation_error",
    "is_image_tag",
    "load_environment",
    "parse_environment",
    "resolve_env_path",
]
