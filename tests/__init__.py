"""The test suites: unit, integration (moto), infra (CDK assertions), e2e (local cloud), suites."""
