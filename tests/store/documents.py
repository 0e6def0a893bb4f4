"""Documents that prove themselves whole: JSON holding a random payload and that payload's sha256, like a
run's export in size and shape. Used by the tests and by saver.py, the child process they kill."""
from __future__ import annotations

import base64
import hashlib
import json
import os


def whole_document(payload_bytes: int) -> bytes:
    """A JSON document with `payload_bytes` random bytes (base64) and their sha256."""
    payload = base64.b64encode(os.urandom(payload_bytes)).decode()
    return json.dumps({"payload": payload, "sha256": hashlib.sha256(payload.encode()).hexdigest()}).encode()


def is_whole(document: bytes) -> bool:
    """Whether `document` is a whole_document, not cut short or altered."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return False
    return hashlib.sha256(parsed["payload"].encode()).hexdigest() == parsed["sha256"]
