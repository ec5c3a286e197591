"""Estimates of what the linked data cannot see: disconnected youth through the wage-linkage gap."""
