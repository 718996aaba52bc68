from __future__ import annotations

from generator.infra.hcl import hcl_string, hcl_value


def test_escapes_each_special_sequence() -> None:
    assert hcl_string('a"b') == '"a\\"b"'
    assert hcl_string("a\\b") == '"a\\\\b"'
    assert hcl_string("\n\r\t") == '"\\n\\r\\t"'
    assert hcl_string("\x00\x1b\x7f") == '"\\u0000\\u001b\\u007f"'
    assert hcl_string("${x}") == '"$${x}"'
    assert hcl_string("%{if}") == '"%%{if}"'
    assert hcl_string("$$") == '"$$"'


def test_values() -> None:
    assert hcl_value(None) == "null"
    assert hcl_value(True) == "true"
    assert hcl_value([1, "a"]) == '[1, "a"]'
    assert hcl_value({"k": "v"}) == '{ "k" = "v" }'
    assert hcl_value({}) == "{}"
