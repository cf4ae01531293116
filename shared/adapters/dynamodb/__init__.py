"""DynamoDB stores over one table: `base` (client, transactions, paging, error translation), `keys`
(every key format and index name), `table` (the tables as code), `stream` (the change stream as the
events subdomain reads it) and one module per store."""
