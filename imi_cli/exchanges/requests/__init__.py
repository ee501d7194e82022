"""Information requests: a structured question set sent by one authority to another,
followed through its whole life, each side reading it in its own language."""
