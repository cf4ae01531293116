"""Handlers and stores against moto in-process."""
