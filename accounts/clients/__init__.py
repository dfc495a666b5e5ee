"""Clients for the upstreams the accounts app talks to: HMPPS Auth and token verification."""
