"""Conversations (SPEC "Conversations"): which conversation a mail joins and what a follow-up does.

The pure parts (``subjects``, ``phrases``, ``join``, ``follow_up``, ``book``)
import no database code: the dry run and the poll run the very same functions,
the poll over a book filled from the database (``mailbot.intake.conversations``),
the dry run over one filled in memory from the files it reads.
"""
