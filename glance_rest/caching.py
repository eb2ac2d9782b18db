"""Keys of what the API keeps in Django's cache (local memory, or the Redis of
REDIS_URL shared by every API process and host)."""

import hashlib


def cache_key(kind, *parts):
    """``glance_rest:<kind>:<SHA-256 of the parts>``: a fixed length whatever the
    parts (URLs, names, token hashes), and nothing readable of them."""
    return f"glance_rest:{kind}:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()
