"""Channels and the outside world: one module per wire format."""
