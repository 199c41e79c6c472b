from retour.core.jobs import run_ready_jobs
from retour.returns import services as returns
from retour.returns.choices import Resolution, ReturnMethod
from tests.factories import SYSTEM


def open_return(order, *, locale="en"):
    lines = [returns.LineRequest(order_line_id=line.pk, quantity=1) for line in order.lines.all()]
    return returns.create_return(
        order=order,
        lines=lines,
        method=ReturnMethod.DROP_OFF,
        resolution=Resolution.REFUND,
        actor=SYSTEM,
        locale=locale,
    )


def drain(rounds: int = 5) -> int:
    """Run every job that is due, including the ones those jobs enqueue."""
    total = 0
    for _ in range(rounds):
        ran = run_ready_jobs()
        total += ran
        if not ran:
            break
    return total
