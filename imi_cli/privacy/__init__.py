"""Data protection: erasure of personal data (and, to come, the clock that blocks and erases it)."""
