"""Test-only drivers for cutover's realcloud (tools/realcloud)."""
