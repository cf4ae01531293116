"""Status-change events published to partners (the table's stream is the outbox)."""
