"""The team: roles, the desk of shared actions, and the team chat."""
