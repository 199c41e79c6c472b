"""Notifications: the outbox dispatcher, e-mail, outgoing webhooks and SMS (issue 8)."""
