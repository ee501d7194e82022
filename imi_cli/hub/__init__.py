"""The hub: IMI's central system. It sequences signed events, enforces who may do
what, and gives each node only the events whose audience includes its authority."""
