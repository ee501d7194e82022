"""Sync with the hub: the client, push/pull/watch, enrolment."""
