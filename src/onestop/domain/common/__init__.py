"""What every part of the domain shares: text, values, parties, actors, formats, the audit chain."""
