"""One lookup and its answer, the same on every channel: the service, the answer shapes and their
builder, the answer cache and the rules on query input. Imports no channel."""
