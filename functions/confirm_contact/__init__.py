"""Workflow task: send the contact code and end the waits that run out."""
