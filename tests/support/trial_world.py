"""The world fault trials run in: one emulator, a fault proxy in front of it, one twin
stack and one DynamoDB table, shared by every trial and reset between them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.colours import COLOURS, Colour
from generator.config import Environment
from generator.demo.emulator import (
    Emulator,
    create_twin_environments,
    pointed_at,
    reset_emulator,
)
from generator.journal.dynamo import DynamoStore
from generator.journal.local import LocalStore
from generator.journal.protocol import DeploymentStore, Owner
from generator.rollout.aws.alb import AlbListenerRouter
from tests.support.faults import FaultProxy

if TYPE_CHECKING:
    from collections.abc import Callable

TABLE = "zdd-trials"
StoreKind = Literal["local", "dynamodb"]


class TrialWorld:
    """Clients that go through the proxy (one attempt, short timeouts: every fault reaches
    zdd) and clients that go straight to the emulator (to set up and to check)."""

    def __init__(
        self, env: Environment, emulator_url: str, proxy: FaultProxy, workdir: Path
    ) -> None:
        self.env = env
        self.emulator = Emulator(emulator_url, env.region)
        self.proxy = proxy
        self.workdir = workdir
        self.read_timeout = 0.25
        self._clients: dict[tuple[str, bool], Any] = {}
        with pointed_at(self.emulator):
            self.outputs = create_twin_environments(self.emulator.session(), env)
        self.client("dynamodb", faulty=False).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self._warm_up()

    @classmethod
    @contextlib.contextmanager
    def started(cls, env: Environment, emulator_url: str, workdir: Path) -> Iterator[TrialWorld]:
        reset_emulator(emulator_url)
        with FaultProxy(emulator_url) as proxy:
            yield cls(env, emulator_url, proxy, workdir)

    def client(self, service: str, *, faulty: bool) -> Any:
        key = (service, faulty)
        if key not in self._clients:
            from botocore.config import Config

            session = self.emulator.session()
            if faulty:
                config = Config(
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=2,
                    read_timeout=self.read_timeout,
                )
                self._clients[key] = session.client(  # type: ignore[call-overload]
                    service, endpoint_url=self.proxy.url, config=config
                )
            else:
                self._clients[key] = session.client(  # type: ignore[call-overload]
                    service, endpoint_url=self.emulator.endpoint
                )
        return self._clients[key]

    def _warm_up(self) -> None:
        """First calls of each kind are slow in the emulator: make them before any trial."""
        for faulty in (False, True):
            self.client("elbv2", faulty=faulty).describe_listeners(
                ListenerArns=[self.outputs.listener_arn]
            )
            self.client("cloudwatch", faulty=faulty).describe_alarms(AlarmNames=["x"])
            self.client("elbv2", faulty=faulty).describe_target_health(
                TargetGroupArn=self.outputs.target_group_arns["green"]
            )
            self.client("dynamodb", faulty=faulty).get_item(
                TableName=TABLE, Key={"pk": {"S": "warm-up"}}
            )

    @cached_property
    def router(self) -> AlbListenerRouter:
        return AlbListenerRouter(self.client("elbv2", faulty=False), self.outputs)

    def weights(self) -> dict[Colour, int]:
        return self.router.read().weights

    def reset(self) -> None:
        """All traffic back on the environment's live colour; faults disarmed."""
        self.proxy.clear()
        live = self.env.live_colour
        if self.weights() != {c: 100 if c == live else 0 for c in COLOURS}:
            self.router.set_weights(
                self.router.read(), {c: 100 if c == live else 0 for c in COLOURS}
            )

    def store(self, kind: StoreKind, seed: int, clock: Any, *, faulty: bool) -> DeploymentStore:
        """The journal of one trial: its own directory, or its own items in the table."""
        now: Callable[[], float] = clock.now
        if kind == "local":
            return LocalStore(self.workdir / f"trial{seed}", "shop", "staging", clock=now)
        return DynamoStore(
            self.client("dynamodb", faulty=faulty), TABLE, f"shop{seed}", "staging", clock=now
        )

    def delete_lock(self, kind: StoreKind, seed: int) -> None:
        """Someone removes the listener lock (a person, a cleanup job)."""
        if kind == "local":
            (self.workdir / f"trial{seed}" / "shop-staging.lock.json").unlink(missing_ok=True)
        else:
            self.client("dynamodb", faulty=False).delete_item(
                TableName=TABLE, Key={"pk": {"S": f"lock#shop{seed}#staging"}}
            )

    def steal_lock(self, kind: StoreKind, seed: int, thief: Owner) -> None:
        """Another live run takes the lock (``--break-lock``)."""

        class _Now:
            def __call__(self) -> float:
                return 1_700_000_000.0 + 10**6  # a lease far in the future

        store: DeploymentStore
        if kind == "local":
            store = LocalStore(self.workdir / f"trial{seed}", "shop", "staging", clock=_Now())
        else:
            store = DynamoStore(
                self.client("dynamodb", faulty=False), TABLE, f"shop{seed}", "staging", clock=_Now()
            )
        store.acquire(thief, force=True)


def dead_pid() -> int:
    """A process id that does not exist: the owner of a run that has ended."""
    for pid in range(4_000_000, 4_100_000, 997):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise RuntimeError("no free pid found")
