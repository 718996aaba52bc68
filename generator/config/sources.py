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
