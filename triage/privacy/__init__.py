"""Candidates' data: erase a person (on request or when retention is due), export it, and the retention run."""
