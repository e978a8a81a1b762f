"""HTTP: the route table, the request pipeline and the mapping of errors to status codes."""
