"""The audit trail: every API call as an ActionTrail-shaped record, its storage and its query language."""
