"""Offline stand-ins for Meta's WhatsApp Cloud API and for webhook subscribers."""
