"""Scheduling decisions for the background service (pure, no Kodi)."""
