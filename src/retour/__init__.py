"""Retour: open-source, self-hosted returns and refunds for online shops."""

__version__ = "0.1.0"
