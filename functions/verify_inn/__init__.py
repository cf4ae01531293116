"""Workflow task: the FNS registry check and the INN lookup by passport."""
