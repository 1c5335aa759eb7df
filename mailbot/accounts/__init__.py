"""Account records: the account book protocol and record type, the database book, the CSV import."""
