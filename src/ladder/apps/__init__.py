"""User-facing apps built from the library's pieces, beside the core (the core never
imports them). Each app uses the public API: ``ladder.sql``, ``ladder.rungs``,
``ladder.agents``, ``ladder.climb.pick``, ``ladder.tasks``.

    expenses/   the bookkeeping app: record by text, ask through NL-to-SQL, correct, undo
"""
