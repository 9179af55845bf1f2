"""Common code of every Licheng service and the gateway (config, roles, errors, tenancy, RPC)."""
