"""numbers-mock: a stateful, spec-validated mock of the Bird and Vobiz numbers APIs."""

from mockserver.app import create_app
from mockserver.clock import Clock, ManualClock, SystemClock
from mockserver.settings import Settings

__version__ = "0.1.0"

__all__ = ["Clock", "ManualClock", "Settings", "SystemClock", "__version__", "create_app"]
