data "aws_caller_identity" "current" {}

# The journal's own key, unless create_kms_key = false: a key shared with container
# logs would let whoever may decrypt the logs read deployment history and locks too.
# A bool, not "kms_key_arn is null": an ARN created in the same plan is unknown, and
# so would be the number of keys.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109: a key policy's "*" resource means this key only, not every resource.
  #checkov:skip=CKV_AWS_111: a key policy's "*" resource means this key only, not every resource.
  #checkov:skip=CKV_AWS_356: a key policy's "*" resource means this key only, not every resource.
  count = var.create_kms_key ? 1 : 0

  # IAM policies of the account decide who uses the key (zdd's runners, through DynamoDB).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = var.create_kms_key ? 1 : 0

  description             = "Encrypts zdd's deployment journal and locks in ${var.table_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.create_kms_key ? 1 : 0

  name          = "alias/zdd/${var.table_name}"
  target_key_id = aws_kms_key.this[0].key_id
}

# One item per journal (pk = "journal#SERVICE#ENV") and one per lock
# (pk = "lock#SERVICE#ENV"); zdd writes both conditionally on a version number.
#
# Deletion protection is a variable (on by default), not lifecycle.prevent_destroy:
# prevent_destroy cannot depend on a variable, and a hard one would stop every
# `terraform destroy` of an environment stack, short-lived ones included. With
# protection on, AWS itself refuses DeleteTable until an apply turns it off.
resource "aws_dynamodb_table" "this" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.deletion_protection
  tags                        = var.tags

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  lifecycle {
    precondition {
      condition     = var.create_kms_key || var.kms_key_arn != null
      error_message = "With create_kms_key = false, give the key in kms_key_arn."
    }
  }
}

locals {
  kms_key_arn = var.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
}
