"""Governance as code: data requests, approved elements, agency review, append-only logs, destruction.

The P20 WIN governance manual's process (request log, match log, review before dissemination,
destruction of matching inputs) as plain functions on files and tables; the Dagster assets in
`assets/governance.py` are thin wrappers. Requests and agency approvals are YAML files in one
folder (`requests/` in the repository, or `$P20_REQUESTS`); the logs live in the warehouse,
schema `governance`, and never hold an identifier value.
"""
