"""One executor per state type, each read like AWS's documentation page for that state."""
