"""Self-hosted settings shared by the Supabase tests: a full config (SMTP with login, functions on)."""

from __future__ import annotations

from components.config.supabase import FunctionsConfig, SmtpConfig, SupabaseConfig
from components.supabase.spec import Database, ObjectStorage

FULL_CONFIG = SupabaseConfig(
    mode="self-hosted",
    host="supabase.example.com",
    site_url="https://app.example.com",
    additional_redirect_urls=["https://app.example.com/**"],
    smtp=SmtpConfig(host="smtp.example.com", port=587, user="mailer", admin_email="no-reply@example.com"),
    studio_allowed_cidrs=["203.0.113.7/32"],
    functions=FunctionsConfig(enabled=True),
)
DATABASE = Database(host="10.0.1.20", port="5432", name="app", admin_user="supabase_root")
OBJECTS = ObjectStorage(
    endpoint="https://fsn1.your-objectstorage.com", bucket="supabase", region="fsn1", force_path_style=True
)
