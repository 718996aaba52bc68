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


def _reference(value: str) -> str:
    """hcl_string without its fast path: every character through the escape table."""
    from generator.infra.hcl import _TABLE

    return '"' + value.translate(_TABLE).replace("${", "$${").replace("%{", "%%{") + '"'


def test_plain_strings_skip_the_escaping_but_say_the_same() -> None:
    import random

    rng = random.Random(11)
    alphabet = 'ab-_/.:$%{}"\\\n\r\t\x00\x1b\x7f\x9f\xa0é€ '
    for _ in range(5000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert hcl_string(value) == _reference(value), repr(value)
    assert hcl_string("arn:aws:iam::123:role/x") == '"arn:aws:iam::123:role/x"'
    assert hcl_string("$5 and 100%") == '"$5 and 100%"'  # no template sequence, no escape


def test_numbers_tuples_and_other_mappings() -> None:
    from types import MappingProxyType

    assert hcl_value(5) == "5"
    assert hcl_value(1.5) == "1.5"
    assert hcl_value(False) == "false"  # a bool is not rendered as the int it also is
    assert hcl_value(("a", 2)) == '["a", 2]'
    assert hcl_value(MappingProxyType({"k": [None]})) == '{ "k" = [null] }'
    assert hcl_value([{"a": {"b": "${x}"}}]) == '[{ "a" = { "b" = "$${x}" } }]'
