"""The application aggregate: its model, validation, lifecycle, submission, views and ports."""
