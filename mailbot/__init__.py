"""mailbot: triage team-member link and reactivation requests from the support mailbox."""

__version__ = "0.1.0"
