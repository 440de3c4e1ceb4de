"""Per-merchant rate limits on the Klarna callback API."""

from .base import env  # base defines env before it imports this module

# Calls per merchant per minute on the callback API (Klarna calls on every change of a
# checkout, so this is generous). 0 disables the limit.
KSA_RATE_LIMIT_PER_MINUTE = env.int("KSA_RATE_LIMIT_PER_MINUTE", default=6000)
# /auth calls per credential identifier per minute, counted before the digest is checked.
# 0 disables the limit.
KSA_RATE_LIMIT_AUTH_PER_MINUTE = env.int("KSA_RATE_LIMIT_AUTH_PER_MINUTE", default=600)
