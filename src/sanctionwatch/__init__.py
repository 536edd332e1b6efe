"""sanctionwatch: find sanctions evasion in AIS, sanctions-list and financial data."""

__version__ = "0.1.0"
