"""The AJIB courier desk: bookings, custody handoffs, its streams and its queries."""
