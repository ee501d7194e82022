"""Bulk files: reading CSV/YAML/JSON with positions, and exports."""
