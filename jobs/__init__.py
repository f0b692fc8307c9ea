"""Scheduled jobs: plain functions over a `Lotty`, and the APScheduler that runs them in `lotty serve`."""
