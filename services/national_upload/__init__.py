"""National upload: rosters (名冊) to the national database through a pika work queue, exactly once."""
