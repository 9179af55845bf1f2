"""The HTTP gateway: authenticates, authorises by unit role, scopes to the school, calls services."""
