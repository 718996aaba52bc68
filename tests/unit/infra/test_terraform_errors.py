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


# `terraform init -no-color` with no provider source and no network (Terraform 1.11).
INIT_OFFLINE = """Initializing the backend...
Initializing provider plugins...
- Finding hashicorp/aws versions matching ">= 5.0.0, < 6.0.0"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws:
could not connect to the registry: failed to request discovery
document: dial tcp: lookup on 10.0.0.53:53: no such host

To see which modules are currently depending on hashicorp/aws and what
versions are specified, run the following command:
    terraform providers

"""


def test_an_init_error_is_shown_whole_with_what_to_set() -> None:
    error = TerraformError(["terraform", "init"], 1, INIT_OFFLINE)
    message = str(error)
    assert message.startswith(
        "terraform init failed (exit 1): Failed to query available provider packages: "
        "Could not retrieve the list of available versions for provider hashicorp/aws: "
        "could not connect to the registry: failed to request discovery document: "
        "dial tcp: lookup on 10.0.0.53:53: no such host. To see which modules"
    )
    assert "run the following command: `terraform providers`. To fix: " in message
    assert "TF_CLI_CONFIG_FILE" in message and "TF_PROVIDER_MIRROR" in message
    assert "allow access to the Terraform registry" in message
    assert "\n" not in message


def test_a_boxed_init_error_loses_its_box_and_keeps_every_sentence() -> None:
    boxed = "╷\n" + "".join(
        f"│ {line}\n" if line else "│\n" for line in INIT_OFFLINE.split("\n\n", 1)[1].splitlines()
    )
    message = first_terraform_error(boxed + "╵\n")
    assert message is not None
    assert not set(message) & set("╷│╵")
    assert message.endswith("run the following command: `terraform providers`.")


def test_errors_of_the_stack_itself_get_no_provider_advice() -> None:
    assert "To fix" not in str(TerraformError(["terraform", "plan"], 1, BOXED))
