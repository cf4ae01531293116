"""End-to-end tests through the local cloud's HTTP gateway."""
