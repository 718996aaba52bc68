"""The ALB listener router: weights move, the rest of the action is kept or owned."""

from __future__ import annotations

from generator.config.infra import Stickiness
from generator.rollout.aws.alb import AlbListenerRouter


def _forward(aws) -> dict:  # type: ignore[type-arg]
    listener = aws.client("elbv2").describe_listeners(ListenerArns=[aws.outputs.listener_arn])
    return listener["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]


def test_a_stickiness_change_in_the_environment_is_applied_with_the_next_move(aws) -> None:
    # Terraform ignores the default action after creation, so zdd applies it.
    router = AlbListenerRouter(
        aws.client("elbv2"), aws.outputs, stickiness=Stickiness(enabled=True, duration_seconds=600)
    )
    router.set_weights(router.read(), {"blue": 90, "green": 10})
    assert _forward(aws)["TargetGroupStickinessConfig"] == {
        "Enabled": True,
        "DurationSeconds": 600,
    }


def test_without_an_owner_the_listener_keeps_its_stickiness(aws) -> None:
    elbv2 = aws.client("elbv2")
    router = AlbListenerRouter(elbv2, aws.outputs)
    state = router.read()
    action = dict(state.action)
    action["ForwardConfig"] = {
        **action["ForwardConfig"],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 777},
    }
    elbv2.modify_listener(ListenerArn=aws.outputs.listener_arn, DefaultActions=[action])
    router.set_weights(router.read(), {"blue": 50, "green": 50})
    assert _forward(aws)["TargetGroupStickinessConfig"]["DurationSeconds"] == 777
