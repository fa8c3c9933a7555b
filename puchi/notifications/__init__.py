"""Notifications: the in-app notification centre (channels and real-time delivery build on it)."""
