"""Applications: their events, the fold into state, commands, submission checks and tracking."""
