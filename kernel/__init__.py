"""The web kernel shared by every part of the dashboard: middleware, logging, health, caching,
templates' environment and formatting. The project shell (nomis_sync) and the apps build on it."""
