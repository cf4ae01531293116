"""One construct per concern: encryption, storage, intake, functions, API, workflow."""
