"""Insights: the figures that help a shop lower its return rate (issue 10)."""
