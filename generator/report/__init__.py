"""Release reports: one self-contained HTML file (inline SVG and CSS) and a Markdown summary.

``export`` reads the journal once and writes what was asked; ``timeline`` turns a
deployment's journalled events into the weights over time, its bake, gate and
rollback windows, the verdicts of its signals and its numbered decisions.
"""

from generator.report.build import Exported, export, select, write_html
from generator.report.model import Report
from generator.report.timeline import Timeline, timeline

__all__ = ["Exported", "Report", "Timeline", "export", "select", "timeline", "write_html"]
