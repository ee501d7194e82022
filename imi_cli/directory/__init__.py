"""The directory: authorities, users, coordination, invitations, search."""
