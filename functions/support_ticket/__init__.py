"""support_ticket: the support desk (issue 4) and the deadline escalation."""
