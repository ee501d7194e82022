"""The shell: the root app, the environment, settings, shared options, output."""
