"""submit_application."""
