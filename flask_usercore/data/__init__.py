"""Data files shipped with flask-usercore (origin and license: README.md here)."""
