"""What every section of the schema shares: the strict base model and AWS naming rules."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

AWS_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d$")
ACM_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:acm:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def is_image_tag(value: str) -> bool:
    """Docker's rule for a tag: 1-128 of letters, digits, _ . -, not starting with . or -."""
    return bool(IMAGE_TAG.match(value))


Port = Annotated[int, Field(ge=1, le=65535, description="TCP port, 1-65535")]
Percent = Annotated[int, Field(ge=0, le=100)]


def check_aws_name(value: str, what: str = "name") -> str:
    """ALB and target group names: 1-32 letters, digits, hyphens; no edge hyphen."""
    if len(value) > 32:
        raise ValueError(f"{what} must be at most 32 characters (got {len(value)})")
    if not AWS_NAME.match(value):
        raise ValueError(
            f"{what} must be letters, digits and hyphens, not starting or ending with a hyphen"
        )
    if value.lower().startswith("internal-"):
        raise ValueError(f"{what} must not start with 'internal-'")
    return value


class Model(BaseModel):
    # Every float is finite: infinity has no JSON form, so `bake_seconds: .inf` would
    # reach the journal as null and leave it unreadable.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """AWS's region names, from the endpoint data botocore ships (read offline).

    Empty when that data cannot be read: the name pattern alone then decides.
    """
    try:
        from botocore.loaders import create_loader

        data = create_loader().load_data("endpoints")
        return frozenset(r for p in data["partitions"] for r in p["regions"])
    except Exception:
        return frozenset()
