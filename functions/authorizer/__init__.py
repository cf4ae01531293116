"""authorizer."""
