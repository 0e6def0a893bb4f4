"""A saved run's id and its delete token: unguessable, and the token kept only as a hash."""
from __future__ import annotations

import hashlib
import hmac
import secrets

ID_BYTES = 9  # random bytes in an id: 72 bits, 12 URL-safe characters
TOKEN_BYTES = 24  # random bytes in a delete token: 192 bits, 32 URL-safe characters


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the store keeps of a delete token: its sha256, hex. A stolen database deletes nothing."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether `token` is the one whose hash was stored, compared in constant time."""
    return hmac.compare_digest(token_hash(token), stored_hash)
