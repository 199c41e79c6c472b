"""One module per external provider of a channel (SMS gateways, push services)."""
