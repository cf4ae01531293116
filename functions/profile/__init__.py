"""API routes for profile change requests and the citizen's access journal."""
