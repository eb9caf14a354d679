"""Small real servers standing in for outside services in tests (run on loopback)."""
