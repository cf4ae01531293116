"""Documents for a clarification and the operator's review of them."""
