"""The OAuth2 authorization server (Authlib), its grants, pages and operations.

``server.py`` builds one Authlib ``AuthorizationServer`` per app; ``grants.py`` binds
Authlib's grants to our models; ``store.py`` and ``consents.py`` hold the rules (tokens as
credential rows, codes, consents); ``views.py`` and ``pages.py`` are the operations and the
login and consent pages. See docs/oauth2.md.
"""
