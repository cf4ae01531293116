"""What every function shares: settings, AWS clients, logging, metrics, base errors, messages, identifiers."""
