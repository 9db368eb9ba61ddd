"""The command line: serve, admin and import."""
