"""Statistics: the hotline's KPIs, defined once, for any period and grouping."""
