"""Flux Capacitor for Python: the server half (store, event log, SQL read model, app)."""
