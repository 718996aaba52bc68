# The alarms applied for real against moto_server (the AWS emulator), then destroyed.
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT terraform test -test-directory=tests/moto
# tests/integration/test_module_tftests.py runs it.

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
  name                     = "zdd-moto-green"
  load_balancer_arn_suffix = "app/zdd-moto/0123456789abcdef"
  target_group_arn_suffix  = "targetgroup/zdd-moto-green/0000000000000002"
  period_seconds           = 60
  evaluation_periods       = 2
  error_rate_percent       = 5
  p99_latency_seconds      = 1.5
  unhealthy_hosts          = 1
}

run "setup" {
  module {
    source = "./tests/moto/setup"
  }
}

run "apply" {
  variables {
    alarm_actions = [run.setup.topic_arn]
  }

  assert {
    condition     = output.alarm_names == ["zdd-moto-green-5xx-rate", "zdd-moto-green-p99-latency", "zdd-moto-green-unhealthy-hosts"]
    error_message = "The alarms exist under the names zdd polls."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.ok_actions == toset([run.setup.topic_arn])
    error_message = "Read back from the emulator: the topic hears OK too."
  }
}
