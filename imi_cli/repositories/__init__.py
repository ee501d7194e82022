"""Repositories: shared, long-lived records (euro cash-in-transit licences, the directory of registers)."""
