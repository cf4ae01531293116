"""The code every function ships with: one package per subdomain, the HTTP edge, core, adapters, wiring."""
