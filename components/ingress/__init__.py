from .component import Ingress, IngressArgs

__all__ = ["Ingress", "IngressArgs"]
