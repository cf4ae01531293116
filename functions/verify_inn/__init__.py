"""verify_inn."""
