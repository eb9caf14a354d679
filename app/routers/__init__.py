"""The /api/v1 routers, one module per domain, and the H5 pages."""
