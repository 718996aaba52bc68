output "table_name" {
  description = "Name of the deployment store table (use it as dynamodb://NAME)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table, for the IAM policy of the runners."
  value       = aws_dynamodb_table.this.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the table: runners need kms:Decrypt and kms:GenerateDataKey on it."
  value       = local.kms_key_arn
}
