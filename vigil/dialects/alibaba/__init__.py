"""The Alibaba Cloud POP dialect (KMS, CloudMonitor, ActionTrail)."""
