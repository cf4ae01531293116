"""AWS services other than DynamoDB: KMS, SNS/SES, S3, Step Functions, EventBridge."""
