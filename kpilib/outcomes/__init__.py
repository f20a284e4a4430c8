"""Outcomes of scored months: pay, grade quotas, consequences. Pure functions of results."""
