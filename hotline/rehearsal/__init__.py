"""Rehearsals: a test call to a running hotline from a SIPp citizen and lawyer phone (scripts/test-call),
and the SIPp pieces the end-to-end tests and the benches share (scenarios, DTMF and speech pcaps, ports)."""
