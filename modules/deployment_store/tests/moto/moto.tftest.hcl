# The journal table and its key applied for real against moto_server, then destroyed.
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

run "apply" {
  variables {
    table_name = "zdd-moto-deployments"
    # On, the emulator (like AWS) would refuse the test's own clean-up.
    deletion_protection = false
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this[0].arn
    error_message = "Read back from the emulator: encrypted with the journal's own key."
  }
}
