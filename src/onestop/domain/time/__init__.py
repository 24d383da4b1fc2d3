"""Time: work calendars, arithmetic in open time, and SLA clocks."""
