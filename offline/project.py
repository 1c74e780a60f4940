"""The project the preview runs by default: this repository (Pulumi.yaml, `offline/`, `components/`)."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
