"""Intake: every way mail gets in (HTTP, SMTP, IMAP, files), ending in one accept()."""
