"""Refunds, store credit and exchanges (issue 7): exact, idempotent, never twice."""
