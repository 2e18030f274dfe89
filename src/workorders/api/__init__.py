"""The HTTP layer: one module per resource, each with its router (app.py puts them together)."""

# Every resource's path begins here; each router carries it in its own prefix (app.py: `_serve`).
V1 = "/v1"
