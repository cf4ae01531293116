"""One construct per concern: each makes its own resources, functions and their grants."""
