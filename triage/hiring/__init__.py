"""Hiring: roles, applicants (from the ATS), their dated history, and the team overview.

Domain functions only; the web, API and CLI call them and commit.
"""
