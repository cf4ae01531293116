"""API routes of the support desk, and the hourly deadline and complaint sweep."""
