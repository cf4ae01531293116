"""record_failure."""
