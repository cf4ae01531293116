"""The HTTP edge of the API functions: resolver, problem+json answers, the caller, request helpers."""
