# One colour applied for real against moto_server (the AWS emulator), then destroyed.
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT terraform test -test-directory=tests/moto \
#     -var vpc_id=VPC -var 'subnet_ids=["SUBNET","SUBNET"]'
# tests/integration/test_module_tftests.py creates the VPC and runs it.

provider "aws" {
  region = "eu-west-1"

  # The endpoint is AWS_ENDPOINT_URL's. Three attempts: a connection the emulator drops
  # under load is retried, while a 500 for a missing feature still fails within seconds
  # (the default, 25 retries with backoff, would hide it for minutes).
  max_retries                 = 3
  skip_metadata_api_check     = true
  skip_credentials_validation = true
}

variables {
  name                  = "zdd-moto-twin-blue"
  colour                = "blue"
  target_group_name     = "zdd-moto-twin-blue"
  listener_arn          = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/zdd-moto/0123456789abcdef/0123456789abcdef"
  image                 = "public.ecr.aws/nginx/nginx"
  image_tag             = "1.27"
  container_port        = 80
  cpu                   = 256
  memory                = 512
  desired_count         = 1
  min_capacity          = 1
  max_capacity          = 2
  scratch_paths         = ["/tmp", "/var/cache/nginx", "/var/run"]
  task_role_policy_arns = []
  health_check = {
    path                = "/"
    interval_seconds    = 10
    timeout_seconds     = 5
    healthy_threshold   = 3
    unhealthy_threshold = 2
    matcher             = "200-399"
  }
}

run "setup" {
  module {
    source = "./tests/moto/setup"
  }
}

run "apply" {
  variables {
    cluster_arn           = run.setup.cluster_arn
    alb_security_group_id = run.setup.alb_security_group_id
    execution_role_arn    = run.setup.execution_role_arn
    kms_key_arn           = run.setup.kms_key_arn
    secrets               = { DB_PASSWORD = run.setup.secret_arn }
  }

  assert {
    condition     = aws_appautoscaling_target.this.resource_id == "service/zdd-moto-twin/zdd-moto-twin-blue"
    error_message = "The scalable target is registered for the service."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets[0].valueFrom == run.setup.secret_arn
    error_message = "The task definition names the secret."
  }

  assert {
    condition     = aws_iam_role_policy.secrets[0].role == split("/", run.setup.execution_role_arn)[1]
    error_message = "The execution role may read the secret."
  }

  assert {
    condition     = output.task_role_arn != run.setup.execution_role_arn && startswith(output.task_role_arn, "arn:aws:iam::")
    error_message = "The task has a role of its own."
  }
}
