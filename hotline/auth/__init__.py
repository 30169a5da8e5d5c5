"""Authentication and roles: users, password hashes, bearer tokens."""
