"""The admin UI: pages over the other domains' services, for accounts with the admin role."""
