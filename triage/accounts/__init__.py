"""People who log in: users, passwords, API tokens."""
