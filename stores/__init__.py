"""Redis, and nothing else: every key Switchboard keeps."""
