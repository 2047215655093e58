"""Bird (api.bird.com) Numbers API: registered in app.py as `bird.provider`."""

from __future__ import annotations

from mockserver.providers.bird.provider import BirdProvider, provider

__all__ = ["BirdProvider", "provider"]
