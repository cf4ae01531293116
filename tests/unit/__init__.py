"""Rules without AWS or network (sockets are blocked here)."""
