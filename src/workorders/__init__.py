"""Work-order routing service for property-management communities."""

__version__ = "0.1.0"
