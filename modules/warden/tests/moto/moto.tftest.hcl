# The warden applied for real against moto_server, then destroyed (moto creates the
# function and the schedule; it never fires the schedule nor invokes the function).
#   AWS_ENDPOINT_URL=http://127.0.0.1:PORT terraform test -test-directory=tests/moto
# tests/integration/test_module_tftests.py runs it.

provider "aws" {
  region = "eu-west-1"

  max_retries                 = 3
  skip_metadata_api_check     = true
  skip_credentials_validation = true
}

run "apply" {
  variables {
    name          = "zdd-moto-warden"
    package_path  = "tests/stub.zip"
    table_name    = "zdd-moto-deployments"
    listener_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2"]
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].arn == aws_lambda_function.this.arn
    error_message = "Read back from the emulator: the schedule targets the function."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "python3.11" && aws_lambda_function.this.reserved_concurrent_executions == 1
    error_message = "Read back from the emulator: one warden at a time, on Python 3.11."
  }
}
