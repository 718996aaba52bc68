locals {
  idle_colour = var.live_colour == "blue" ? "green" : "blue"
  https       = var.protocol == "HTTPS"

  # Initial weights only: after creation zdd owns them (see ignore_changes below).
  weights = {
    blue  = var.live_colour == "blue" ? 100 : 0
    green = var.live_colour == "green" ? 100 : 0
  }

  listener_ports = compact([
    tostring(var.port),
    tostring(var.test_listener_port),
    var.redirect_http_port == null ? "" : tostring(var.redirect_http_port),
  ])
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_security_group" "alb" {
  name_prefix = "${var.name}-alb-"
  description = "Load balancer ${var.name}: listeners in, targets in the VPC out"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "listener" {
  for_each = {
    for pair in setproduct(local.listener_ports, var.allowed_cidrs) : "${pair[0]}-${pair[1]}" => pair
  }

  security_group_id = aws_security_group.alb.id
  description       = "Listener port ${each.value[0]} from ${each.value[1]}"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value[0])
  to_port           = tonumber(each.value[0])
  cidr_ipv4         = each.value[1]
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "targets" {
  security_group_id = aws_security_group.alb.id
  description       = "To targets inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 1
  to_port           = 65535
  cidr_ipv4         = data.aws_vpc.this.cidr_block
  tags              = var.tags
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28: a WAF web ACL is the user's choice of rules; associate one with var.web_acl_arn.
  #checkov:skip=CKV2_AWS_76: WAF rules, Log4j ones included, are the web ACL's, which the user owns.
  #checkov:skip=CKV_AWS_91: access logging needs a bucket the user owns; enabled with var.access_logs.
  #checkov:skip=CKV2_AWS_20: HTTPS environments redirect with var.redirect_http_port; HTTP ones chose plain HTTP.
  name                       = var.name
  internal                   = var.internal
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = var.idle_timeout
  tags                       = var.tags

  access_logs {
    enabled = var.access_logs.enabled
    bucket  = var.access_logs.bucket == null ? "" : var.access_logs.bucket
    prefix  = var.access_logs.prefix
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.web_acl_arn == null ? 0 : 1

  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.web_acl_arn
}

resource "aws_lb_listener" "production" {
  #checkov:skip=CKV_AWS_2: the protocol is the environment's choice; HTTPS environments need a certificate, which zdd validates.
  #checkov:skip=CKV_AWS_103: with HTTP there is no TLS; with HTTPS var.ssl_policy defaults to TLS 1.2 and 1.3 only.
  load_balancer_arn = aws_lb.this.arn
  port              = var.port
  protocol          = var.protocol
  certificate_arn   = local.https ? var.certificate_arn : null
  ssl_policy        = local.https ? var.ssl_policy : null
  tags              = var.tags

  default_action {
    type = "forward"

    forward {
      target_group {
        arn    = var.target_group_arns["blue"]
        weight = local.weights["blue"]
      }

      target_group {
        arn    = var.target_group_arns["green"]
        weight = local.weights["green"]
      }

      stickiness {
        enabled  = var.stickiness.enabled
        duration = var.stickiness.duration_seconds
      }
    }
  }

  # zdd, not Terraform, owns the weights after creation: without this every
  # apply would silently undo a traffic shift.
  lifecycle {
    ignore_changes = [default_action]
  }
}

resource "aws_lb_listener" "test" {
  #checkov:skip=CKV_AWS_2: the test listener uses the environment's protocol, like production.
  #checkov:skip=CKV_AWS_103: with HTTP there is no TLS; with HTTPS var.ssl_policy defaults to TLS 1.2 and 1.3 only.
  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = var.protocol
  certificate_arn   = local.https ? var.certificate_arn : null
  ssl_policy        = local.https ? var.ssl_policy : null
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = var.target_group_arns[local.idle_colour]
  }

  # zdd points the test listener at the idle colour after each promotion.
  lifecycle {
    ignore_changes = [default_action]
  }
}

resource "aws_lb_listener" "redirect" {
  #checkov:skip=CKV_AWS_2: this listener only redirects plain HTTP to HTTPS.
  #checkov:skip=CKV_AWS_103: this listener only redirects plain HTTP to HTTPS.
  count = var.redirect_http_port == null ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = var.redirect_http_port
  protocol          = "HTTP"
  tags              = var.tags

  default_action {
    type = "redirect"

    redirect {
      port        = tostring(var.port)
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
