"""Metrics for Prometheus: live calls, lawyers, the AMI edge, record latency and the work queues."""
