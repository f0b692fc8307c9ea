"""Catalog services: each change validates, writes its rows and its audit entry in one transaction."""
