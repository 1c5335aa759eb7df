"""The database: engine and sessions, and the schema's migrations."""
