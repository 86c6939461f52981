"""The rules. No ``request``, ``g`` or ``current_app`` in here: what a service needs from the
request comes in as an explicit :class:`~flask_usercore.services.context.ClientInfo`, and its
collaborators as :class:`~flask_usercore.services.context.Deps`."""
