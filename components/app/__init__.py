from .component import App, AppArgs

__all__ = ["App", "AppArgs"]
