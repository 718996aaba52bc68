"""What people and CI read about releases: status, history, verdicts, a run's outcome."""
