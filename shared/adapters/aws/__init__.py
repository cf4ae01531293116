"""AWS services other than DynamoDB: KMS keyed hashes, SNS/SES, S3 presigned documents, Step Functions, EventBridge,
the idempotency store and the intake's dead-letter queue."""
