# The two colours' target groups, created in moto_server for the test.

variable "vpc_id" {
  type        = string
  description = "VPC the test harness created in moto_server."
}

resource "aws_lb_target_group" "colour" {
  #checkov:skip=CKV_AWS_378: plain HTTP behind the load balancer, as in the twin environments.
  for_each = toset(["blue", "green"])

  name        = "zdd-moto-alb-${each.key}"
  vpc_id      = var.vpc_id
  port        = 80
  protocol    = "HTTP"
  target_type = "ip"

  health_check {
    path    = "/healthz"
    matcher = "200-299"
  }
}

output "target_group_arns" {
  value = { for colour, tg in aws_lb_target_group.colour : colour => tg.arn }
}
