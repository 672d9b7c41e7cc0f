"""Accounts: sign-up, per-device API tokens, lockouts, and a person's own data (export and delete)."""
