"""Workflow task: provision the cabinet and mark the application ready."""
