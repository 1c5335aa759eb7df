"""Intake: the poll cycle and what serves it.

state → UIDs → batches → triage → store → mark → advance, with the worker pool,
prefetch, locks and the long-lived service (schedule and IDLE).
"""
