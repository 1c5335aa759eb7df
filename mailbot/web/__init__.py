"""The agents' web console: server-rendered pages over the same review code as the CLI.

``create_app`` (in ``mailbot.web.app``) builds the FastAPI application from one
``Settings`` and one engine, so ``mailbot serve`` and the tests run the very same
app. Approving and rejecting go through ``mailbot.review.approve`` only; nothing here
changes an account or queues a reply by itself.
"""
