"""`clsdata report OUT/`: a static HTML report of the warehouse (no server, no build step, nothing from the network)."""
