"""Supabase for the app: managed (hosted project) or self-hosted on the cluster."""

from .component import Supabase, SupabaseArgs

__all__ = ["Supabase", "SupabaseArgs"]
