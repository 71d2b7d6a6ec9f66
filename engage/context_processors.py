from engage.enums import Role
from engage.roles import user_roles


def roles(request) -> dict:
    current = user_roles(request.user) if hasattr(request, "user") else set()
    return {
        "is_engagement_team": bool(current & {Role.ENGAGEMENT_TEAM, Role.ADMINISTRATOR}),
        "is_facilitator": bool(
            current & {Role.FACILITATOR, Role.ENGAGEMENT_TEAM, Role.ADMINISTRATOR}
        ),
        "is_administrator": Role.ADMINISTRATOR in current,
    }
