"""External HTTP services: the FNS registry and the identity provider."""
