"""Writes of the review queue: routing, claims and leases, decisions, disputes, policy."""
