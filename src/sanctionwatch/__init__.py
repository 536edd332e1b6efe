"""sanctionwatch."""
