"""Typed stack configuration, read once by `load_stack_config()` and handed to components as objects."""

from .base import is_world
from .catalog import NETWORK_ZONES, SERVER_TYPES, ServerType
from .cluster import AgentPoolConfig, ClusterConfig, ControlPlaneConfig
from .loader import ConfigError, LoadedConfig, load_stack_config, parse_stack_config
from .network import NetworkConfig
from .secrets import SECRET_SPECS, StackSecrets
from .stack import StackConfig
from .supabase import SupabaseConfig

__all__ = [
    "NETWORK_ZONES",
    "SECRET_SPECS",
    "SERVER_TYPES",
    "AgentPoolConfig",
    "ClusterConfig",
    "ConfigError",
    "ControlPlaneConfig",
    "LoadedConfig",
    "NetworkConfig",
    "ServerType",
    "StackConfig",
    "StackSecrets",
    "SupabaseConfig",
    "is_world",
    "load_stack_config",
    "parse_stack_config",
]
