"""Preflight: reads the team's Hetzner Cloud project (read-only) and reports what would stop `pulumi up`.

`scripts/preflight.sh STACK` runs it before every deploy. It learns what the stack would create by
running the real program offline (the same run as the offline preview), then asks the Hetzner API
whether the project can take it: a token that can write, server and load balancer types orderable in
the location, the image, SSH keys already uploaded, names already taken by resources that are not
this stack's, and the S3 endpoints the backups and the object store use.
"""
