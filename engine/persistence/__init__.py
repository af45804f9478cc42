"""Persistence: tables, database connections, unit of work and migrations."""
