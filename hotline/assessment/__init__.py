"""The lawyers' monthly assessment (动态考核), pure: the scheme, scores and grades, ranks, duty attendance."""
