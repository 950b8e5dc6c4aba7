"""The OSC bridge: the address table, the UDP server built from it, and its generated docs."""
