"""Every escaped literal comes back exactly through the real terraform binary."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from generator.infra.hcl import hcl_string
from generator.infra.terraform import Terraform

DANGEROUS = [
    "${",
    "%{",
    '${file("/etc/passwd")}',
    "%{ if true }x%{ endif }",
    "$${",
    "%%{",
    '"',
    "\\",
    '\\\\"',
    "\n",
    "\r\n",
    "\t",
    "<<EOF\nhello\nEOF",
    "$",
    "%",
    "{}",
    "${}",
    "$\\{",
    "\x00",
    "\x1b[31m",
    "\u2028",
    "",
    " ",
    "é",
    "😀",
    "a${b}c%{d}e",
    "\\n",
    "'",
    "`",
    "${{",
    "%{%{",
]


def random_strings(count: int, seed: int = 20261128) -> list[str]:
    rng = random.Random(seed)
    alphabet = [*list("ab$%{}\\\"'\n\r\t <>=#/"), "\x01", "\x7f", "é", "ß", "漢", "😀", "\x85"]
    out = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        # HCL normalises string literals to NFC; the corpus is NFC so equality is exact.
        out.append(unicodedata.normalize("NFC", text))
    return out


@pytest.mark.integration
def test_escaped_strings_round_trip(terraform_bin: str, tmp_path: Path) -> None:
    values = DANGEROUS + random_strings(220)
    blocks = [f'output "v{i}" {{\n  value = {hcl_string(v)}\n}}\n' for i, v in enumerate(values)]
    (tmp_path / "main.tf").write_text("\n".join(blocks))
    tf = Terraform(tmp_path, binary=terraform_bin)
    tf.init(backend=False)
    plan = tmp_path / "roundtrip.tfplan"
    assert tf.plan(plan) is True
    tf.apply(plan)
    got = tf.raw_outputs()
    mismatches = [(v, got.get(f"v{i}")) for i, v in enumerate(values) if got.get(f"v{i}") != v]
    assert not mismatches, mismatches[:5]
