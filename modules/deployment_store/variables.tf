variable "table_name" {
  type        = string
  description = "Name of the DynamoDB table holding zdd's journals and listener locks."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting the table."
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to the table."
  default     = {}
}
