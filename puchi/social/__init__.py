"""Social: follows (mutual follows are friends), people search, profiles with privacy, blocking."""
