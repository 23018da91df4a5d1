"""Entry points that put the assistant's processes on the network, closed by default."""
