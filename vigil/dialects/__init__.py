"""Wire dialects: thin translations from foreign cloud APIs onto Vigil's services."""
