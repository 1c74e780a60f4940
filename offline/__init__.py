"""Run the real program for a stack without a cloud account (DESIGN.md, "Offline preview")."""
