"""An idle colour sized to its job, observed in moto's ECS services, on a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import ReleaseFailed
from generator.journal.model import CapacityChange, JournalDoc
from generator.rollout import release
from generator.rollout.aws.capacity import pending_scale_down, savings
from generator.rollout.views.status import gather_status, render_status
from tests.unit.rollout.release_world import STRATEGY, context, counts, resize, scaled_down


def test_scaled_down_idle_colour_is_scaled_up_for_the_release_and_the_old_one_down_after(
    aws, clock, staging, tmp_path: Path
) -> None:
    env = scaled_down(staging, after=600)
    resize(aws, "green", 0)  # idle between releases
    ctx = context(aws, clock, tmp_path, env)
    started = clock.now()
    dep = release.shift(ctx, aws.outputs, STRATEGY)
    assert dep.status == "promoted"
    assert counts(aws) == {"blue": (0, 0), "green": (1, 1)}
    capacity = ctx.store.load().capacity
    assert [(c.colour, c.action, c.tasks) for c in capacity] == [
        ("green", "scale_up", 1),
        ("blue", "scale_down", 1),
    ]
    assert capacity[0].at == started  # before any weight moved
    assert capacity[1].at >= dep.finished_at + 600  # the rollback window, then 0 tasks
    assert capacity[1].deployment == dep.id


def test_warm_idle_colour_keeps_its_size(aws, clock, staging, tmp_path: Path) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    release.shift(ctx, aws.outputs, STRATEGY)
    assert counts(aws) == {"blue": (1, 1), "green": (1, 1)}
    assert ctx.store.load().capacity == []


def test_a_rollback_during_the_release_never_waits_for_a_scale_up(
    aws, clock, staging, tmp_path: Path
) -> None:
    env = scaled_down(staging)
    resize(aws, "green", 0)
    ctx = context(aws, clock, tmp_path, env)
    clock.at(12, lambda: aws.set_alarm(aws.outputs.alarm_names["green"][0]))
    with pytest.raises(ReleaseFailed):
        release.shift(ctx, aws.outputs, STRATEGY)
    assert aws.weights() == {"blue": 100, "green": 0}
    assert counts(aws)["blue"] == (1, 1)  # the old colour was at full size all along
    assert [c.action for c in ctx.store.load().capacity] == ["scale_up"]


def test_interrupted_wait_leaves_the_scale_down_to_finalize(
    aws, clock, staging, tmp_path: Path
) -> None:
    env = scaled_down(staging, after=600)
    ctx = context(aws, clock, tmp_path, env)

    def interrupt(c: object) -> None:
        if any(e.kind == "capacity.waiting" for e in ctx.events.history):
            raise KeyboardInterrupt

    clock.on_sleep.append(interrupt)
    dep = release.shift(ctx, aws.outputs, STRATEGY)
    clock.on_sleep.clear()
    assert dep.status == "promoted"
    assert counts(aws)["blue"] == (1, 1)
    assert "capacity.deferred" in [e.kind for e in ctx.events.history]
    assert release.retire(ctx, aws.outputs) is None  # `zdd finalize` too early: not yet due
    assert counts(aws)["blue"] == (1, 1)
    clock.t = dep.finished_at + 601
    assert release.retire(ctx, aws.outputs) == 1
    assert counts(aws)["blue"] == (0, 0)
    assert release.retire(ctx, aws.outputs) is None  # done once


def test_pending_scale_down_is_derived_from_the_journal(staging) -> None:
    env = scaled_down(staging, after=100)
    doc = JournalDoc(service="shop", environment="staging")
    assert pending_scale_down(doc, env, "green") is not None  # fresh stack: due now
    doc.capacity.append(CapacityChange(colour="green", action="scale_down", tasks=2, at=5.0))
    assert pending_scale_down(doc, env, "green") is None
    doc.capacity.append(CapacityChange(colour="green", action="scale_up", tasks=2, at=10.0))
    pending = pending_scale_down(doc, env, "green")
    assert pending is not None and pending.due_at == 110.0
    assert pending_scale_down(doc, staging, "green") is None  # warm


def test_history_reports_the_colour_hours_scaling_down_saved(
    aws, clock, staging, tmp_path: Path
) -> None:
    doc = JournalDoc(service="shop", environment="staging")
    doc.capacity = [
        CapacityChange(colour="blue", action="scale_down", tasks=2, at=0.0),
        CapacityChange(colour="blue", action="scale_up", tasks=2, at=7200.0),
        CapacityChange(colour="green", action="scale_down", tasks=3, at=7200.0),
    ]
    saved = savings(doc, now=10800.0)
    assert (saved.colour_hours, saved.task_hours) == (3.0, 7.0)
    ctx = context(aws, clock, tmp_path, staging)
    ctx.store.save(doc.model_copy(update={"version": 0}))
    report = gather_status(
        aws.client("elbv2"),
        aws.client("cloudwatch"),
        aws.outputs,
        ctx.store,
        history=True,
        services=ctx.ecs(),
        now=10800.0,
    )
    assert report.saved is not None and report.saved.colour_hours == 3.0
    assert "saved 3 colour-hours (7 task-hours)" in render_status(report)
    assert report.to_dict()["saved"] == {"colour_hours": 3.0, "task_hours": 7.0}


def test_status_shows_what_each_colour_runs(aws, clock, staging, tmp_path: Path) -> None:
    from tests.unit.rollout.release_world import release_image

    outputs = release_image(aws, staging, "green", "2.0.0")
    ctx = context(aws, clock, tmp_path, staging)
    report = gather_status(
        aws.client("elbv2"), aws.client("cloudwatch"), outputs, ctx.store, services=ctx.ecs()
    )
    assert report.colours is not None
    green = report.colours["green"]
    assert green.image.endswith("nginx:2.0.0")
    revision = green.task_definition
    assert revision.startswith("shop-staging-green:") and revision != "shop-staging-green:1"
    assert (green.running, green.desired, green.rollout) == (1, 1, "COMPLETED")
    text = render_status(report)
    assert f"green runs public.ecr.aws/nginx/nginx:2.0.0 ({revision}), 1/1 tasks" in text
    assert "blue  runs public.ecr.aws/nginx/nginx:1.0.0 (shop-staging-blue:1)" in text
