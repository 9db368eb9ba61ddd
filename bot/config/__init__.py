"""Settings from the environment and the YAML file."""
