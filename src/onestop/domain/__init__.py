"""The pure domain model: catalogue, rules, workflows and value objects.

Nothing here does I/O, reads a clock or logs; a test enforces it.  Functions take
state, a command and a time, and return values or raise typed errors from
`onestop.exceptions`.
"""
