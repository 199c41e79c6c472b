"""Reverse logistics: carriers, labels and the documents that travel with a return."""
