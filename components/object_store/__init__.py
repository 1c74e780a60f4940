"""Phase 3: S3-compatible object storage, Hetzner's or SeaweedFS in the cluster."""

from .component import CREDENTIALS_SECRET, ObjectStore, ObjectStoreArgs

__all__ = ["CREDENTIALS_SECRET", "ObjectStore", "ObjectStoreArgs"]
