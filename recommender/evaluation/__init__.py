"""Offline evaluation, free of Django: splits (splitting), metrics (metrics) and the harness that runs
algorithms over splits (runner)."""
