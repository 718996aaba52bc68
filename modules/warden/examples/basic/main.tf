# zdd warden for every service whose journal is in the shop-zdd table: a pass every
# minute ends releases whose CI runner died (`make warden-zip` builds warden.zip).
module "warden" {
  source = "../../"

  name                = "shop-zdd-warden"
  package_path        = "${path.module}/warden.zip"
  table_name          = "shop-zdd"
  listener_arns       = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-staging/50dc6c495c0c9188/f2f7dc8efc522ab2"]
  alarm_name_prefixes = ["shop-staging-"]

  tags = {
    team = "platform"
  }
}

output "function_name" {
  description = "The warden's Lambda function."
  value       = module.warden.function_name
}
