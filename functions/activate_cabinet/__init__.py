"""activate_cabinet."""
