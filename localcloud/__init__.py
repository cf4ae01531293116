"""The local cloud: the synthesized CDK template running inside an embedded moto, no Docker."""
