"""API routes for applications, and the partner intake from the SQS queue."""
