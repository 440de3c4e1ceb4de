"""The merchant portal: shop staff follow their bookings (see urls.py)."""
