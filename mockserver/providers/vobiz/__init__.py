"""Vobiz WhatsApp numbers API and account balance: registered in app.py as `vobiz.provider`."""

from __future__ import annotations

from mockserver.providers.vobiz.provider import VobizProvider, provider

__all__ = ["VobizProvider", "provider"]
