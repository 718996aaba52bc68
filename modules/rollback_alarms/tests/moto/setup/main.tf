# A topic the alarms notify, created in moto_server for the test.

resource "aws_sns_topic" "releases" {
  #checkov:skip=CKV_AWS_26: a throw-away topic in an emulator.
  name = "zdd-moto-releases"
}

output "topic_arn" {
  value = aws_sns_topic.releases.arn
}
