"""The Switchboard runtime core: channel-agnostic machinery."""
