# One item per journal (pk = "journal#SERVICE#ENV") and one per lock
# (pk = "lock#SERVICE#ENV"); zdd writes both conditionally on a version number.
resource "aws_dynamodb_table" "this" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  tags         = var.tags

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
