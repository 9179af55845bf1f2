"""Identity: tenants (district, schools), accounts with unit roles, login and tokens."""
