"""What zdd tells CI outside a release: the plan's verdict, and errors as annotations.

``zdd plan`` under GitHub Actions appends the verdict and the plan's summary to the
job summary and writes the same Markdown beside the plan (``PLAN.md``, which the
generated workflow posts as the pull request comment). Under GitLab CI it writes
the merge request's Terraform report (``PLAN.gitlab.json``: create/update/delete
counts) and prints the changes in a collapsible section.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from generator.events.ci import append_summary, detect, workflow_command
from generator.mdtext import md_code, md_text

if TYPE_CHECKING:
    from generator.infra.plan import PlanSummary
    from generator.infra.provision import GuardedPlan

MAX_LISTED = 50


def plan_counts(summary: PlanSummary) -> dict[str, int]:
    """GitLab's Terraform report: actions counted as ``terraform show -json`` lists them."""
    counts = {"create": 0, "update": 0, "delete": 0}
    for change in summary.changes:
        for action in change.actions:
            if action in counts:
                counts[action] += 1
    return counts


def plan_markdown(env_name: str, guarded: GuardedPlan) -> str:
    """The verdict and the plan's changes, for the job summary and the PR comment."""
    verdict, summary = guarded.verdict, guarded.summary
    counts = plan_counts(summary)
    head = "accepted" if verdict.accepted else "**refused** (exit 3)"
    lines = [
        f"### zdd plan: {env_name}: {head}",
        "",
        f"Live colour: **{verdict.live}**. Changes: {counts['create']} to create, "
        f"{counts['update']} to update, {counts['delete']} to delete.",
        "",
    ]
    if verdict.violations:
        lines += ["Refused because it would change what serves users:", ""]
        lines += [
            f"- `{md_code(v.address)}` [{md_text(', '.join(v.actions))}]: {md_text(v.reason)}"
            for v in verdict.violations
        ]
        lines.append("")
    if verdict.shared:
        lines += ["Shared infrastructure (both colours):", ""]
        lines += [
            f"- `{md_code(c.address)}` [{md_text(c.label)}]: **{c.klass}**: {md_text(c.reason)}"
            for c in verdict.shared[:MAX_LISTED]
        ]
        if len(verdict.shared) > MAX_LISTED:
            lines.append(f"- ... and {len(verdict.shared) - MAX_LISTED} more")
        lines.append("")
    changes = guarded.spec_changes()
    if changes:
        idle = "green" if verdict.live == "blue" else "blue"
        lines += [f"Spec changes, live {verdict.live} -> idle {idle} (secrets by ARN):", ""]
        lines += [f"- `{md_code(line)}`" for line in changes[:MAX_LISTED]]
        if len(changes) > MAX_LISTED:
            lines.append(f"- ... and {len(changes) - MAX_LISTED} more")
        lines.append("")
    if verdict.idle:
        lines += ["New on the idle colour (the release to shift to):", ""]
        lines += [f"- `{md_code(item)}`" for item in verdict.idle[:MAX_LISTED]]
        lines.append("")
    listed = {*verdict.idle, *(f"{c.address} [{c.label}]" for c in verdict.shared)}
    others = [a for a in verdict.allowed if a not in listed]
    if others:
        lines += ["<details><summary>Other allowed changes</summary>", ""]
        lines += [f"- `{md_code(item)}`" for item in others[:MAX_LISTED]]
        if len(others) > MAX_LISTED:
            lines.append(f"- ... and {len(others) - MAX_LISTED} more")
        lines += ["", "</details>", ""]
    if not summary.has_changes:
        lines += ["No changes.", ""]
    return "\n".join(lines).rstrip() + "\n"


def report_plan(
    env_name: str,
    guarded: GuardedPlan,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> list[Path]:
    """Write the plan's verdict where the CI system shows it; return the files written."""
    import os

    env = os.environ if environ is None else environ
    ci = detect(env)
    plan = guarded.plan_file
    if ci == "github":
        markdown = plan_markdown(env_name, guarded)
        beside = plan.with_name(plan.name + ".md")
        beside.write_text(markdown, encoding="utf-8")
        if env.get("GITHUB_STEP_SUMMARY"):
            append_summary(Path(env["GITHUB_STEP_SUMMARY"]), markdown)
        return [beside]
    if ci == "gitlab":
        report = plan.with_name(plan.name + ".gitlab.json")
        report.write_text(json.dumps(plan_counts(guarded.summary)) + "\n", encoding="utf-8")
        out = stream or sys.stderr
        name = f"zdd_plan_{env_name.replace('-', '_')}"
        out.write(f"\x1b[0Ksection_start:{int(time.time())}:{name}[collapsed=true]\r\x1b[0K")
        out.write(f"zdd plan {env_name}: changes and verdict\n")
        out.write(plan_markdown(env_name, guarded))
        out.write(f"\x1b[0Ksection_end:{int(time.time())}:{name}\r\x1b[0K\n")
        out.flush()
        return [report]
    return []


def annotate_error(
    message: str,
    exit_code: int,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Under GitHub Actions: the error as an annotation, and a line in the job summary."""
    import os

    env = os.environ if environ is None else environ
    if detect(env) != "github":
        return
    what = {3: "refused for safety", 4: "needs a human", 2: "bad input"}.get(exit_code, "failed")
    out = stream or sys.stderr
    out.write(workflow_command("error", message, f"zdd: {what} (exit {exit_code})") + "\n")
    out.flush()
    if env.get("GITHUB_STEP_SUMMARY") and exit_code in (3, 4):
        first = message.splitlines()[0] if message else what
        append_summary(
            Path(env["GITHUB_STEP_SUMMARY"]),
            f"**zdd: {what}** (exit {exit_code}): {md_text(first)}\n",
        )
