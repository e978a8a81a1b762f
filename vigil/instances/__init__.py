"""KMS instances (kst-...): the unit that carries quotas, QPS and logs."""
