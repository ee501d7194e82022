"""The directory of registers: which register holds what, who keeps it, how to consult it."""
