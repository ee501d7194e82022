"""Alerts: one authority warns the other member states; incoming-alert coordinators route them."""
