"""`retour worker`: run background jobs and the scheduler (ADR 0004)."""

from django.core.management.base import BaseCommand, CommandParser

from retour.core.jobs import periodic_jobs, run_worker


class Command(BaseCommand):
    help = (
        "Run background jobs from the queue, and enqueue scheduled jobs when due. Start as many "
        "as needed, on as many hosts as share the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="comma-separated queue names, * for all")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between polls when idle"
        )
        parser.add_argument("--batch", action="store_true", help="run what is ready, then exit")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--worker-id", default=None, help="unique per process (default: random)"
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="do not enqueue scheduled jobs (run one scheduler per deployment)",
        )
        parser.add_argument(
            "--list-scheduled", action="store_true", help="print the scheduled jobs and exit"
        )

    def handle(self, *args, **options) -> None:
        if options["list_scheduled"]:
            for item in periodic_jobs():
                period = int(item.every().total_seconds())
                self.stdout.write(f"{item.name}  every {period} s  {item.description}")
            return
        run_worker(
            queues=options["queues"],
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            scheduler=options["scheduler"],
        )
