"""Checkout analytics: what every options answer offered, what shoppers chose and confirmed,
and how the carriers answered, recorded without personal data and rolled up per day."""
