"""Secret rotation: one rotator per kind of secret, and the runner that drives them."""
