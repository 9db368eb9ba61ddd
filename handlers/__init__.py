"""What the bot does, in domain terms: automation and team commands."""
