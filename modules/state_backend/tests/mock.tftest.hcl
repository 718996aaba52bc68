# Fast checks with a mocked AWS provider: `terraform test` (no account, no network).
# Plans only: the bucket, the lock table and the key have prevent_destroy, so the
# clean-up after an apply would be refused, as it should be in an account.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  bucket            = "shop-terraform-state"
  lock_table        = "shop-terraform-locks"
  access_log_bucket = "shop-access-logs"
}

run "protected_versioned_encrypted" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.lock.deletion_protection_enabled && aws_dynamodb_table.lock.hash_key == "LockID"
    error_message = "AWS refuses to delete the lock table."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "Every state version is kept (for noncurrent_version_days)."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "State is encrypted with the backend's key."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    error_message = "The state bucket is never public."
  }
}

run "deletion_protection_can_be_turned_off" {
  command = plan

  variables {
    deletion_protection = false
  }

  assert {
    condition     = !aws_dynamodb_table.lock.deletion_protection_enabled
    error_message = "deletion_protection = false turns AWS's protection off (prevent_destroy stays)."
  }
}
