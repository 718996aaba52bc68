# The load balancer applied for real against moto_server (the AWS emulator), then destroyed.
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT terraform test -test-directory=tests/moto \
#     -var vpc_id=VPC -var 'subnet_ids=["SUBNET","SUBNET"]'
# tests/integration/test_module_tftests.py creates the VPC and runs it. Creating an
# ALB takes the provider 60 s whatever the endpoint: it waits 30 s before each of its
# two "active?" checks.

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
  name                = "zdd-moto-alb"
  internal            = true
  allowed_cidrs       = ["10.0.0.0/8"]
  protocol            = "HTTP"
  port                = 80
  test_listener_port  = 8080
  live_colour         = "green"
  deletion_protection = false
}

run "setup" {
  module {
    source = "./tests/moto/setup"
  }
}

run "apply" {
  variables {
    target_group_arns = run.setup.target_group_arns
  }

  assert {
    condition = {
      for tg in aws_lb_listener.production.default_action[0].forward[0].target_group : tg.arn => tg.weight
      } == {
      (run.setup.target_group_arns.blue)  = 0
      (run.setup.target_group_arns.green) = 100
    }
    error_message = "Read back from the emulator: all weight on the live colour."
  }

  assert {
    condition     = aws_lb_listener.test.default_action[0].target_group_arn == run.setup.target_group_arns.blue
    error_message = "Read back from the emulator: the test listener forwards to the idle colour."
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.listener) == 2 && output.load_balancer_dns_name != ""
    error_message = "Two ingress rules (production from allowed_cidrs, test from the VPC) and a DNS name."
  }
}
