"""The one aiohttp application: routes, webhooks, tracking and serving."""
