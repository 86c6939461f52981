"""The runtime plumbing of a worker: rate limits and their guarded storage, the per-account
lockout, the buffered last-use times (in the worker, or in Redis) and the request log.

Nothing here knows a request's operation or a service's rules; the web core and the
services use these as collaborators (``Deps.lockout``, ``Deps.last_access``).
"""
