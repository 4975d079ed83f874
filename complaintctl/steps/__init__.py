"""The steps of a complaint's handling: each command's work, applying the rules through the store."""
