"""Issue 10's tests: what an attacker or a careless client tried, and what they get now."""

# Lines the access matrix records for the run's closing summary (tests/conftest.py prints them).
SUMMARY: list[str] = []
