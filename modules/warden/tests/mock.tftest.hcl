# Fast checks with a mocked AWS provider: `terraform test` (no account, no network).
# The run against moto_server is in tests/moto/ (terraform test -test-directory=tests/moto).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:shop-zdd-warden" }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-zdd-warden" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/shop-zdd-warden" }
  }
}

variables {
  name          = "shop-zdd-warden"
  package_path  = "tests/stub.zip"
  table_name    = "shop-zdd"
  listener_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2"]
}

run "a_scheduled_function_with_its_alarm" {
  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "rate(1 minute)" && aws_scheduler_schedule.this.target[0].arn == aws_lambda_function.this.arn
    error_message = "The schedule invokes the function every minute."
  }

  assert {
    condition     = aws_lambda_function.this.handler == "generator.rollout.warden.handler" && aws_lambda_function.this.environment[0].variables.ZDD_WARDEN_STORE == "dynamodb://shop-zdd"
    error_message = "The function is `zdd warden` over the journal table."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.errors.metric_name == "Errors" && aws_cloudwatch_metric_alarm.errors.dimensions.FunctionName == "shop-zdd-warden"
    error_message = "An alarm watches the warden's own failures."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/shop-zdd-warden"
    error_message = "The function logs to a log group of its own, kept for a year."
  }

  assert {
    condition     = local.rules == ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/*"]
    error_message = "It may modify the rules of its listeners, and nothing else's."
  }
}

run "no_listener_is_refused" {
  command = plan

  variables {
    listener_arns = []
  }

  expect_failures = [var.listener_arns]
}
