"""onestop: typed building blocks for one-stop public service centres."""
