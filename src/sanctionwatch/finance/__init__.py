"""Illicit finance: crypto-theft tracing and ATM cash-out detection."""
