"""`make bench`: how fast and how costly the service is (bench/README.md)."""
