"""Analysis functions used by the notebooks (unit-tested in tests/)."""
