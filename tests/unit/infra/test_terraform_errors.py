"""A failed terraform command is reported by its first error: what, where, why."""

from __future__ import annotations

from generator.errors import TerraformError, first_terraform_error

APPLY_FAILURE = """
Error: creating ELBv2 Listener (shop-prod): ValidationError: Port 70000 out of range

  with module.alb.aws_lb_listener.production,
  on .terraform/modules/alb/main.tf line 10, in resource "aws_lb_listener" "production":
  10: resource "aws_lb_listener" "production" {

Error: creating ECS Service (shop-prod-green): InvalidParameterException

  with module.green.aws_ecs_service.this,
"""

BOXED = """╷
│ Error: Invalid reference
│
│   on main.tf line 2, in output "x":
│    2:   value = undefined_thing.attr
│
│ A reference to a resource type must be followed by at least one attribute.
╵
"""


def test_the_first_error_names_the_resource_address() -> None:
    assert first_terraform_error(APPLY_FAILURE) == (
        "creating ELBv2 Listener (shop-prod): ValidationError: Port 70000 out of range "
        "(at module.alb.aws_lb_listener.production)"
    )


def test_boxed_output_gives_file_line_and_explanation() -> None:
    assert first_terraform_error(BOXED) == (
        "Invalid reference (at main.tf line 2): "
        "A reference to a resource type must be followed by at least one attribute."
    )


def test_the_error_message_is_one_line_and_keeps_all_of_stderr() -> None:
    error = TerraformError(["terraform", "apply", "p.tfplan"], 1, APPLY_FAILURE)
    assert str(error).startswith("terraform apply failed (exit 1): creating ELBv2 Listener")
    assert "\n" not in str(error)
    assert "creating ECS Service" in error.stderr  # --debug shows the rest


def test_output_without_an_error_block_falls_back_to_its_last_lines() -> None:
    error = TerraformError(["terraform", "init"], 1, "something odd\nhappened here\n")
    assert str(error) == "terraform init failed (exit 1): something odd | happened here"
