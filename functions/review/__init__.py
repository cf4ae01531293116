"""Workflow tasks: the waits for documents and for the operator's review."""
