# The load balancer whose production listener forwards to both colours by weight.
# Terraform creates the listener with all weight on live_colour and then ignores the
# weights: zdd shifts them. The test listener always reaches the idle colour.

module "alb" {
  source = "../../"

  name                = "shop-prod"
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
  allowed_cidrs       = ["10.0.0.0/8"]
  protocol            = "HTTPS"
  port                = 443
  test_listener_port  = 8443
  redirect_http_port  = 80
  certificate_arn     = "arn:aws:acm:eu-west-1:123456789012:certificate/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
  web_acl_arn         = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop-prod/0f2a8c3e-1b4d-4e6f-9a7b-5c3d2e1f0a9b"
  deletion_protection = true
  live_colour         = "blue"

  access_logs = {
    enabled = true
    bucket  = "shop-alb-access-logs"
    prefix  = "prod"
  }

  target_group_arns = {
    blue  = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-blue/0123456789abcdef"
    green = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-prod-green/0123456789abcdef"
  }
}

output "listener_arn" {
  description = "The listener zdd shifts (the stack's listener_arn output)."
  value       = module.alb.listener_arn
}
