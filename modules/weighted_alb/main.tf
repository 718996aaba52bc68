locals {
  idle_colour = var.live_colour == "blue" ? "green" : "blue"
  https       = var.protocol == "HTTPS"

  # Initial weights only: after creation zdd owns them (see ignore_changes below).
  weights = {
    blue  = var.live_colour == "blue" ? 100 : 0
    green = var.live_colour == "green" ? 100 : 0
  }

  # Production listeners are open to allowed_cidrs; the test listener, which always
  # reaches the idle colour, only to test_listener_cidrs (by default the VPC's own).
  public_ports = compact([
    tostring(var.port),
    var.redirect_http_port == null ? "" : tostring(var.redirect_http_port),
  ])
  vpc_cidrs = compact(concat(
    [for a in data.aws_vpc.this.cidr_block_associations : a.cidr_block if a.state == "associated"],
    var.ip_address_type == "dualstack" ? [data.aws_vpc.this.ipv6_cidr_block] : [],
  ))
  test_listener_cidrs = var.test_listener_cidrs == null ? local.vpc_cidrs : var.test_listener_cidrs
  ingress = merge(
    {
      for pair in setproduct(local.public_ports, var.allowed_cidrs) :
      "${pair[0]}-${pair[1]}" => { port = tonumber(pair[0]), cidr = pair[1], listener = "Listener" }
    },
    {
      for cidr in local.test_listener_cidrs :
      "${var.test_listener_port}-${cidr}" => { port = var.test_listener_port, cidr = cidr, listener = "Test listener" }
    },
  )
  ipv6_cidrs = [for cidr in concat(var.allowed_cidrs, var.test_listener_cidrs == null ? [] : var.test_listener_cidrs) : cidr if strcontains(cidr, ":")]
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
  for_each = local.ingress

  security_group_id = aws_security_group.alb.id
  description       = "${each.value.listener} port ${each.value.port} from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = strcontains(each.value.cidr, ":") ? null : each.value.cidr
  cidr_ipv6         = strcontains(each.value.cidr, ":") ? each.value.cidr : null
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
  ip_address_type            = var.ip_address_type
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = var.idle_timeout
  tags                       = var.tags

  access_logs {
    enabled = var.access_logs.enabled
    bucket  = var.access_logs.bucket == null ? "" : var.access_logs.bucket
    prefix  = var.access_logs.prefix
  }

  lifecycle {
    precondition {
      condition     = length(local.ipv6_cidrs) == 0 || var.ip_address_type == "dualstack"
      error_message = "IPv6 CIDR blocks in allowed_cidrs or test_listener_cidrs need ip_address_type = dualstack (and subnets with IPv6 CIDR blocks)."
    }
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
