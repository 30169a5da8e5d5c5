"""Routing: lawyers, their SIP endpoints and their membership of the queues."""
