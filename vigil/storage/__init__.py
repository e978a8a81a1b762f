"""Storage shared by every domain: connections, transactions, migrations and job leases."""
