"""Runs every benchmark of the project."""

from . import postgres_dr, preview, vm_boot

preview.main()
postgres_dr.main()
vm_boot.main()
