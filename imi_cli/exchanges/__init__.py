"""Exchanges between authorities: requests, messages."""
