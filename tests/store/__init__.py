"""Tests of backend.store against real SQLite and PostgreSQL databases."""
