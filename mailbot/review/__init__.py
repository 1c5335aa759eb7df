"""The agents' side: approve and reject, the only code that changes accounts,
and the read model that both the CLI and the console render.
"""
