"""Domain events and their outbox: written in the transaction of the change they describe."""
