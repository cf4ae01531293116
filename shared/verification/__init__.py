"""The check against the FNS registry and the INN lookup by passport (workflow steps)."""
