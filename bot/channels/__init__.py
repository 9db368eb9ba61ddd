"""The configured channels behind the sender's one delivery interface."""
