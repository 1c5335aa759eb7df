"""Real servers for integration tests and benchmarks (no mocks): see dovecot.py."""
