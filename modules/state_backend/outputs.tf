output "bucket" {
  description = "Name of the state bucket."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "Name of the state lock table."
  value       = aws_dynamodb_table.lock.name
}

output "kms_key_arn" {
  description = "KMS key encrypting state and locks."
  value       = aws_kms_key.state.arn
}
