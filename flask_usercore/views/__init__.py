"""The views: one module per capability; each declares its operations and calls one service."""
