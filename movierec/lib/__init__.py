"""Framework-free helpers shared by the project (no Django imports)."""
