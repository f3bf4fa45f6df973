"""The only package that imports Kodi's xbmc* modules: logging, settings, paths, UI, service."""
