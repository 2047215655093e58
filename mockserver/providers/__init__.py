"""The mocked providers: one package each, with the same module names in each
(handlers, backend, models, wire, errors, auth, seed)."""
