"""Staff accounts: the users admins manage, lawyers' desk accounts linked to their phones,
supervisors' listening phones."""
