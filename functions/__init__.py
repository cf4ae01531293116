"""Lambda entry points, one folder per function: each parses its event, calls one use case and shapes the answer."""
