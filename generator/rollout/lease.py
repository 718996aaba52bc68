"""The lease of a whole release: taken before terraform touches the idle colour, renewed
from a thread while terraform and readiness take their time, released when the release
ends. A second ``zdd deploy`` is refused (exit 3, naming the holder) before it applies
anything; the engine re-acquires the same lease (same owner) for the shift.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from types import TracebackType

from generator.errors import LeaseLost, LockHeld
from generator.journal.model import LockInfo
from generator.journal.protocol import DEFAULT_LEASE_SECONDS, DeploymentStore, Owner
from generator.rollout.ports import Clock

RENEW_SECONDS: float | None = None  # None: a quarter of the store's lease


class LeaseKeeper:
    """``with LeaseKeeper(store, owner):`` holds the listener's lease for the block."""

    def __init__(self, store: DeploymentStore, owner: Owner, *, force: bool = False) -> None:
        self.store = store
        self.owner = owner
        self.force = force
        self.renewals = 0
        self.lost: LeaseLost | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="zdd-lease", daemon=True)

    @property
    def every(self) -> float:
        if RENEW_SECONDS is not None:
            return RENEW_SECONDS
        lease = getattr(self.store, "lease_seconds", None) or DEFAULT_LEASE_SECONDS
        return float(lease) / 4

    def __enter__(self) -> LeaseKeeper:
        # A holder that is gone while no deployment is unfinished (a deploy killed during
        # its apply, before the engine journalled anything) is taken over: nothing of its
        # release can be resumed. With an unfinished deployment, `zdd resume` must decide.
        current = self.store.load().current
        idle = current is None or current.terminal
        # LockHeld (a live holder, or a gone one with work to resume): exit 3, names it.
        self.store.acquire(self.owner, take_over=idle, force=self.force)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.store.heartbeat(self.owner)
            except LeaseLost as exc:
                self.lost = exc  # taken over, or released by the engine at its end
                return
            except Exception:
                continue  # a store that cannot be reached now: the next renewal may pass
            self.renewals += 1

    def check(self) -> None:
        """Raise ``LeaseLost`` if another run took the lease meanwhile."""
        if self.lost is not None:
            raise LeaseLost(f"{self.lost}; nothing was shifted")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5.0)
        with contextlib.suppress(Exception):  # best effort: an unreleased lease expires
            self.store.release(self.owner)


class HolderAlive(LockHeld):
    """The lease's holder renewed it while we waited: it is running."""


def acquire_when_lapsed(
    store: DeploymentStore,
    owner: Owner,
    clock: Clock,
    say: Callable[[str], None],
    *,
    poll: float,
    force: bool = False,
    done: Callable[[], bool] | None = None,
) -> bool:
    """Take the lease for ``zdd resume``/``abort``: at once when its holder is provably
    gone (this host and its process dead, or the lease expired); otherwise wait for the
    lease to lapse, saying how long is left at each poll, and take it then.

    Raises ``HolderAlive`` when the holder renews its lease meanwhile (it runs: it acts,
    not us). Returns False, without the lease, as soon as ``done()`` says nothing is
    left to do (the holder finished the work meanwhile).
    """
    seen: LockInfo | None = None
    vanished = 0
    while True:
        try:
            store.acquire(owner, take_over=True, force=force)
            return True
        except LockHeld as exc:
            refused, holder = exc, store.lock_info()
        if holder is None:  # released meanwhile: try again, at once the first time
            vanished += 1
            if vanished >= 5:  # a store that keeps refusing without a holder: say so
                raise refused
            if vanished > 1:  # and never spin against it
                clock.sleep(poll)
            continue
        if seen is not None and (holder.owner != seen.owner or holder.expires > seen.expires):
            raise HolderAlive(
                f"listener locked by {holder.describe()}, which renewed its lease "
                "meanwhile: it is running"
            )
        seen = holder
        if done is not None and done():
            return False
        left = max(0.0, holder.expires - clock.now())
        say(
            f"{holder.describe()} holds the lease but may be gone: taking over when it "
            f"lapses in {left:.1f}s (unless it renews it)"
        )
        clock.sleep(min(max(left, 0.05), poll))
