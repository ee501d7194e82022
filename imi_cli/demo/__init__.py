"""`imi demo`: the product's story on embedded data."""
