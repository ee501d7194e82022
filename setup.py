"""The one thing pyproject.toml cannot say: the top-level questionnaires/ folder, where catalog
authors edit the question sets, is built into the package as imi_cli/catalogs (package data
read with importlib.resources; see imi_cli/questionnaires/registry.py::shipped_folder)."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["imi_cli", "imi_cli.*"]) + ["imi_cli.catalogs"],
    package_dir={"imi_cli.catalogs": "questionnaires"},
)
