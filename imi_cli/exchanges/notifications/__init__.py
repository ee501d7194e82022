"""Notifications: a member state tells the Commission and the others; they comment; the clock runs."""
