"""The outbox: queued replies and their state transitions, the transports (SMTP,
file), the Sent copy and the one backoff rule.
"""
