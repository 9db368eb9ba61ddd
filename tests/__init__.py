"""Switchboard's tests."""
