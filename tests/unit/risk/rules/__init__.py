"""Unit tests of the risk rules (one file per rule)."""
