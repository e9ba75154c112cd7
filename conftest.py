# Marks the repository root for pytest; fixtures live in tests/conftest.py.
