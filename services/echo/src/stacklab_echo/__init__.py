"""The course's echo servers: one-shot echo, serial recho, concurrent select echo, and their clients."""
