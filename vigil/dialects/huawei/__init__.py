"""The Huawei Cloud dialect (CSMS v1)."""
