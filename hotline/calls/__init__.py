"""Calls: live state reduced from AMI events, and one record per call keyed by Asterisk's linkedid."""
