"""Visit room mappings: the admin pages operators use to map the NOMIS rooms visits need."""
