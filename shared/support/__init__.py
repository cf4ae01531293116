"""The support desk: tickets, messages, answer targets, complaints and the deadline sweep."""
