# Fast checks with a mocked AWS provider: `terraform test` (no account, no network).
# The run against moto_server is in tests/moto/ (terraform test -test-directory=tests/moto).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
}

variables {
  table_name = "zdd-deployments"
}

run "its_own_key_and_deletion_protection" {
  assert {
    condition     = length(aws_kms_key.this) == 1 && aws_kms_key.this[0].enable_key_rotation
    error_message = "The journal gets a rotating key of its own."
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this[0].arn && output.kms_key_arn == aws_kms_key.this[0].arn
    error_message = "The table is encrypted with that key."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/zdd/zdd-deployments"
    error_message = "The key is named for the journal."
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled && aws_dynamodb_table.this.point_in_time_recovery[0].enabled
    error_message = "AWS refuses to delete the table, and its history can be restored."
  }

  assert {
    condition     = aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "zdd's key schema: one partition key, pk."
  }
}

run "a_given_key" {
  variables {
    create_kms_key      = false
    kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:key/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
    deletion_protection = false
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "A given key is used, none created."
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion_protection = false turns AWS's protection off."
  }
}

run "a_key_passed_while_creating_one_is_not_used" {
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this[0].arn
    error_message = "create_kms_key (true by default) wins: the journal never shares a key by accident."
  }
}

run "rejects_no_key_at_all" {
  command = plan

  variables {
    create_kms_key = false
  }

  expect_failures = [aws_dynamodb_table.this]
}

run "rejects_a_key_alias_for_an_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/logs"
  }

  expect_failures = [var.kms_key_arn]
}
