"""The records service: every unit's part of the portfolio except files and certification."""
