from django.core.management.base import BaseCommand

from engage.demo import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    DEMO_USERS,
    demo_load_engage,
    demo_representative,
)
from engage.enums import Role
from events.demo import demo_load_events
from events.demo_attendance import demo_load_attendance
from feedback.demo import demo_load_capture, demo_load_feedback


class Command(BaseCommand):
    help = (
        "Load demo data (areas and their populations, roles, users, a few hundred fictitious "
        "people and organisations, meetings with past attendance, a meeting record). Created once: "
        "running it again adds only what is missing."
    )

    def handle(self, *args, **options):
        users = demo_load_engage()
        demo_load_events(facilitator=users[Role.FACILITATOR])
        demo_load_attendance(representative=demo_representative(users[Role.REPRESENTATIVE]))
        demo_load_feedback()
        demo_load_capture(facilitator=users[Role.FACILITATOR])
        self.stdout.write("Demo sign-ins:")
        for spec in DEMO_USERS:
            how = (
                f"password {DEMO_PASSWORD} + TOTP"
                if spec.password
                else "emailed code (see var/outbox/)"
            )
            self.stdout.write(f"  {spec.role.label:<26} {spec.email:<26} {how}")
        self.stdout.write(f"  Staff TOTP secret for an authenticator app: {DEMO_TOTP_SECRET}")
