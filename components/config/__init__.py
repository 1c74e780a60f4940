"""Typed stack configuration, read once by `load_stack_config()` and handed to components as objects."""

from .app import AppConfig, CanaryConfig, WebConfig
from .base import is_world
from .catalog import NETWORK_ZONES, SERVER_TYPES, ServerType
from .cluster import AgentPoolConfig, ClusterConfig, ControlPlaneConfig
from .ingress import IngressConfig
from .loader import ConfigError, LoadedConfig, load_stack_config, parse_stack_config
from .network import NetworkConfig
from .observability import ObservabilityConfig
from .secrets import SECRET_SPECS, StackSecrets
from .stack import StackConfig

__all__ = [
    "NETWORK_ZONES",
    "SECRET_SPECS",
    "SERVER_TYPES",
    "AgentPoolConfig",
    "AppConfig",
    "CanaryConfig",
    "ClusterConfig",
    "ConfigError",
    "ControlPlaneConfig",
    "IngressConfig",
    "LoadedConfig",
    "NetworkConfig",
    "ObservabilityConfig",
    "ServerType",
    "StackConfig",
    "StackSecrets",
    "WebConfig",
    "is_world",
    "load_stack_config",
    "parse_stack_config",
]
