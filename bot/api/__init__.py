"""The /v1 service API, one module per resource."""
