"""A faithful, stateful local stand-in for HMPPS Auth and the NOMIS migration services.

Run it with ``python manage.py sandbox``. It is a development and test tool with its own settings
(``sandbox.settings``) and URL configuration; the dashboard's settings never include it.
"""
