"""Tickets (工单): one per call and voicemail, with deadlines (限时办结), callbacks and hand-offs."""
