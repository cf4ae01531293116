"""DynamoDB stores: one module per store over one key layout."""
