"""Test and benchmark machinery, never shipped in the wheel: fault trials and points, the
invariant, the fault proxy, the browser, PNG and screenshot helpers, the report sample."""
