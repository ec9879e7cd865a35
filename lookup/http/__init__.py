"""HTTP plumbing shared by every channel: response headers, JSON encoding, logs, CSV cells and
rate limits."""
