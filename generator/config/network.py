"""Schema section of the network: subnets, who may reach the load balancer, where tasks connect."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from generator.config.base import Model


def check_cidrs(v: list[str]) -> list[str]:
    """IPv4 blocks, each once (the rules are rendered as cidr_ipv4; a repeat breaks the plan)."""
    seen: dict[object, str] = {}
    for c in v:
        try:
            network = ipaddress.ip_network(c, strict=True)
        except ValueError:
            raise ValueError(f"{c!r} must be a CIDR block such as 10.0.0.0/16") from None
        if network.version != 4:
            # The security group rules are rendered as cidr_ipv4.
            raise ValueError(f"{c!r}: IPv6 blocks are not supported; use IPv4 CIDR blocks")
        if network in seen:
            raise ValueError(f"{c!r} repeats {seen[network]!r}; list each block once")
        seen[network] = c
    return v


class EgressRule(Model):
    """One destination tasks may connect to."""

    description: str = Field("HTTPS out, to pull images and reach AWS APIs", max_length=255)
    protocol: Literal["tcp", "udp", "icmp", "-1"] = Field("tcp", description="-1: all")
    from_port: int | None = Field(443, ge=-1, le=65535)
    to_port: int | None = Field(443, ge=-1, le=65535)
    cidr: str | None = Field("0.0.0.0/0", description="IPv4 or IPv6 CIDR block")
    prefix_list_id: str | None = Field(None, pattern=r"^pl-[0-9a-f]{8,17}$")
    security_group_id: str | None = Field(None, pattern=r"^sg-[0-9a-f]{8,17}$")

    @model_validator(mode="after")
    def _one_destination(self) -> EgressRule:
        given = [n for n in ("prefix_list_id", "security_group_id") if getattr(self, n)]
        if given and "cidr" not in self.model_fields_set:
            self.__dict__["cidr"] = None  # a named destination replaces the default CIDR
        chosen = [*given, *(["cidr"] if self.cidr else [])]
        if len(chosen) != 1:
            raise ValueError(
                "needs exactly one destination: cidr, prefix_list_id or security_group_id"
            )
        if self.cidr:
            try:
                ipaddress.ip_network(self.cidr, strict=True)
            except ValueError:
                raise ValueError(f"cidr {self.cidr!r} is not a CIDR block") from None
        if self.protocol == "-1":
            self.__dict__.update(from_port=None, to_port=None)
        elif self.from_port is None or self.to_port is None or self.from_port > self.to_port:
            raise ValueError("needs from_port <= to_port (or protocol -1 for all traffic)")
        return self

    def module_value(self) -> dict[str, object]:
        """The rule as twin_environment's ``egress_rules`` takes it."""
        value: dict[str, object] = {"description": self.description, "protocol": self.protocol}
        if self.protocol != "-1":
            value.update(from_port=self.from_port, to_port=self.to_port)
        if self.cidr:
            key = "cidr_ipv6" if ":" in self.cidr else "cidr_ipv4"
            value[key] = self.cidr
        elif self.prefix_list_id:
            value["prefix_list_id"] = self.prefix_list_id
        else:
            value["security_group_id"] = self.security_group_id
        return value


class Network(Model):
    """Where the twins run and who may reach the load balancer."""

    vpc_id: str = Field(description="VPC the twin environments run in (vpc-...)")
    subnet_ids: list[str] = Field(
        min_length=2, description="Subnets in at least two availability zones"
    )
    alb_subnet_ids: list[str] | None = Field(
        None,
        description="Subnets of the load balancer: public ones for an internet-facing ALB "
        "(required then); default for an internal ALB: subnet_ids",
    )
    allowed_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="CIDR blocks allowed to reach the load balancer",
    )
    egress: list[EgressRule] = Field(
        default_factory=lambda: [EgressRule()],
        max_length=50,
        description="Where tasks may connect (default: TCP 443 anywhere, for images and AWS "
        "APIs); add your database's port and security group or CIDR",
    )

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, v: str) -> str:
        if not re.match(r"^vpc-[0-9a-f]{8,17}$", v):
            raise ValueError("must look like vpc- followed by 8 to 17 hex digits")
        return v

    @property
    def egress_rules(self) -> list[dict[str, object]]:
        """``egress`` as twin_environment's ``egress_rules`` takes it."""
        return [rule.module_value() for rule in self.egress]

    @field_validator("alb_subnet_ids")
    @classmethod
    def _alb_subnets(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if len(v) < 2:
            raise ValueError("needs subnets in at least two availability zones")
        return cls._subnets(v)

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, v: list[str]) -> list[str]:
        for s in v:
            if not re.match(r"^subnet-[0-9a-f]{8,17}$", s):
                raise ValueError(f"{s!r} must look like subnet- followed by 8 to 17 hex digits")
        if len(set(v)) != len(v):
            raise ValueError("must not repeat a subnet")
        return v

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        return check_cidrs(v)
