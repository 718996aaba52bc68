"""Where a rendered stack takes zdd's Terraform modules from: vendored, a git ref, a registry."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from generator.config.base import Model

_GIT = re.compile(r"^(?:git::[a-z+]+://|git@)[^\s?]+$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")
_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
# [HOST/]NAMESPACE/NAME/PROVIDER, with {name} standing for the module's folder name.
_REGISTRY = re.compile(
    r"^(?:[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?/)?[A-Za-z0-9_-]+/[A-Za-z0-9_{}-]+/[a-z0-9]+$"
)
_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


class ModuleSource(Model):
    """Module sources of the stack: vendored into it (default), or a pinned git ref or registry."""

    git: str | None = Field(
        None,
        description="Git repository holding zdd's modules, e.g. git::https://HOST/ORG/zdd.git",
    )
    ref: str | None = Field(None, description="git: the tag or commit every module is pinned to")
    path: str = Field("modules", description="git: folder of the modules inside the repository")
    registry: str | None = Field(
        None, description="Registry address with {name} for the module, e.g. ORG/zdd-{name}/aws"
    )
    version: str | None = Field(None, description="registry: the exact module version")

    @field_validator("git")
    @classmethod
    def _git(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not _GIT.match(v):
            raise ValueError(
                "must be a git::SCHEME://... or git@HOST:... URL without ?query (ref says which)"
            )
        if "//" in v.split("://", 1)[-1]:
            raise ValueError("must not name a subfolder with //; set modules.path instead")
        return v

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        if v is not None and (not _REF.match(v) or ".." in v):
            raise ValueError("must be a git tag, branch or commit such as v1.2.0")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not _PATH.match(v) or ".." in v.split("/"):
            raise ValueError("must be a relative folder such as modules")
        return v

    @field_validator("registry")
    @classmethod
    def _registry(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v.count("{name}") != 1 or not _REGISTRY.match(v):
            raise ValueError(
                "must be [HOST/]NAMESPACE/NAME/PROVIDER with {name} once, e.g. acme/zdd-{name}/aws"
            )
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is not None and not _VERSION.match(v):
            raise ValueError("must be an exact version such as 1.2.0 (a pin, not a range)")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> ModuleSource:
        if self.git and self.registry:
            raise ValueError("modules.registry: set git or registry, not both")
        if self.git and not self.ref:
            raise ValueError("modules.ref: required with git: pin a tag or commit")
        if self.ref and not self.git:
            raise ValueError("modules.ref: applies to git only")
        if self.registry and not self.version:
            raise ValueError("modules.version: required with registry: pin a version")
        if self.version and not self.registry:
            raise ValueError("modules.version: applies to registry only")
        if "path" in self.model_fields_set and not self.git:
            raise ValueError("modules.path: applies to git only")
        return self

    @property
    def vendored(self) -> bool:
        return not (self.git or self.registry)


_PLATFORM = re.compile(r"^[a-z0-9]+_[a-z0-9]+$")


def platform_problem(item: str) -> str | None:
    """Why ``item`` is not a Terraform platform name (OS_ARCH); None when it is one."""
    if _PLATFORM.match(item):
        return None
    return f"{item!r} is not a platform such as linux_amd64 (OS_ARCH)"


class TerraformRuns(Model):
    """How zdd runs Terraform: the platforms its provider lock file covers, time limits."""

    platforms: list[str] = Field(
        default_factory=lambda: ["linux_amd64", "darwin_arm64"],
        min_length=1,
        description="Platforms `zdd lock` records provider checksums for (OS_ARCH)",
    )
    init_timeout_seconds: float = Field(
        600, gt=0, le=86400, description="Time limit of one `terraform init`"
    )
    plan_timeout_seconds: float = Field(
        900, gt=0, le=86400, description="Time limit of one `terraform plan` (or show, output)"
    )
    apply_timeout_seconds: float = Field(
        1800, gt=0, le=86400, description="Time limit of one `terraform apply`"
    )
    heartbeat_seconds: float = Field(
        60, gt=0, le=3600, description="How often a long run says what is still in progress"
    )

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: list[str]) -> list[str]:
        for item in v:
            problem = platform_problem(item)
            if problem:
                raise ValueError(problem)
        return list(dict.fromkeys(v))
