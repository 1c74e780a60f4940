"""Supabase for the app: managed (hosted project) or self-hosted on the cluster."""

from .args import SupabaseArgs, SupabaseDatabase, SupabaseStorage
from .component import Supabase

__all__ = ["Supabase", "SupabaseArgs", "SupabaseDatabase", "SupabaseStorage"]
