"""The protocol node and hub share: the event-type registry, the rules pipeline, request signing, the API document."""
