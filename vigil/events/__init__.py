"""The event center: the catalog of system events, their store and queries, and the live stream."""
