"""The commands: what an operation's body or query says, as a frozen, typed object.

A schema (``flask_usercore/schemas/``) validates the wire's camelCase JSON and loads it into
the command of the same capability (``InputSchema.command``); the view hands the command, or
its fields, to one service. Commands are plain dataclasses: no wire names, no marshmallow,
no Flask, so services can take them. A service's error on a field names the command's field
(``ValidationFailed.on("multi_factor_code", ...)``); the operation gives it its wire path.
"""
