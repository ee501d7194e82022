"""The hub API's limits, which nodes and other implementations are held to (the OpenAPI
document states them)."""

MAX_BODY = 8 * 1024 * 1024  # bytes of one request's body
MAX_BATCH = 2000            # events in one push
MAX_WAIT = 30.0             # seconds a long poll may wait
