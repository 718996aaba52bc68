# The state backend planned against moto_server (a plan reads the account through
# the real provider). Not applied: prevent_destroy would refuse the clean-up.
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

run "plan" {
  command = plan

  variables {
    bucket            = "zdd-moto-state"
    lock_table        = "zdd-moto-locks"
    access_log_bucket = "zdd-moto-access-logs"
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation && aws_dynamodb_table.lock.deletion_protection_enabled
    error_message = "A rotating key and a protected lock table."
  }
}
