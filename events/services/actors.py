"""Who did a staff write, as the logs carry it: the user's id, never a name or an address."""


def actor_id(actor) -> int | None:
    """The id of the user behind a staff write, or None (a beat job, the shell)."""
    return getattr(actor, "pk", None)
