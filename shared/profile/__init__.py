"""Profile change requests of citizens with an active cabinet."""
