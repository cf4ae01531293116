"""confirm_contact."""
