"""Flask-free security primitives: password hashing, opaque tokens, one-time codes, TOTP."""
