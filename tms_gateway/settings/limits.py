"""Per-merchant rate limits on the Klarna callback API."""

from .environment import env

# Calls per merchant per minute on the callback API (Klarna calls on every change of a
# checkout, so this is generous). 0 disables the limit.
KSA_RATE_LIMIT_PER_MINUTE = env.int("KSA_RATE_LIMIT_PER_MINUTE", default=6000)
# Failed /auth calls per minute per client address and identifier, and per client address;
# over either, a failure answers 429 instead of 401. Only failures count and a correct digest is
# never refused, so nobody can lock a shop out with its (public) identifier. 0 disables each.
KSA_RATE_LIMIT_AUTH_PER_MINUTE = env.int("KSA_RATE_LIMIT_AUTH_PER_MINUTE", default=30)
KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE = env.int(
    "KSA_RATE_LIMIT_AUTH_ADDRESS_PER_MINUTE", default=300
)
