"""API Gateway TOKEN authorizer: the identity provider's JWT checked, the caller passed on."""
