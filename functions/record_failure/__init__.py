"""Workflow task: an unexpected failure recorded and handed to an operator."""
