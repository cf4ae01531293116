"""The table's stream: status changes published to the partners' event bus."""
