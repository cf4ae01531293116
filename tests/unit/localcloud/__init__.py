"""The local cloud's own pieces: template fixes, moto patches, event delivery."""
