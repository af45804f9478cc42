"""Use cases. Each takes the engine and plain values, runs in one unit of work, and commits."""
