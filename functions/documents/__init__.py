"""S3 upload events: a document for a clarification or a profile change has arrived."""
