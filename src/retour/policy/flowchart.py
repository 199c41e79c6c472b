"""The decision path of a policy as an SVG flowchart, drawn from the same document the engine
reads: one question per step, one branch per rule, in the order the engine applies them.

Server-side and dependency-free: a column of questions, each with its "yes" branch to the right
and "no" going down. Call inside the reader's active language.
"""

import textwrap
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

from retour.policy.describe import describe_conditions, describe_outcome
from retour.policy.document import PolicyDocument

ROW = 96  # vertical space per step
BOX_H = 64
Q_X, Q_W = 16, 380  # the question column
A_X, A_W = 452, 330  # the answers ("yes" branches)
WIDTH = A_X + A_W + 16
COLOURS = {
    "question": ("#eef2ff", "#4f46e5"),
    "accept": ("#ecfdf5", "#059669"),
    "refuse": ("#fef2f2", "#dc2626"),
    "review": ("#fffbeb", "#d97706"),
    "info": ("#f8fafc", "#64748b"),
}


def _text(x: int, y: int, width: int, text: str, bold: bool = False) -> str:
    """Up to three lines of wrapped text, centred vertically in a box starting at `y`."""
    lines = textwrap.wrap(text, width=max(width // 7, 10))[:3]
    first = y + BOX_H / 2 - (len(lines) - 1) * 8 + 5
    weight = ' font-weight="600"' if bold else ""
    spans = "".join(
        f'<tspan x="{x + 10}" y="{first + i * 16:.0f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text font-size="13"{weight}>{spans}</text>'


def _box(x: int, y: int, width: int, text: str, kind: str, bold: bool = False) -> str:
    fill, stroke = COLOURS[kind]
    radius = 6 if kind == "question" else 14
    return (
        f'<rect x="{x}" y="{y}" width="{width}" height="{BOX_H}" rx="{radius}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>' + _text(x, y, width, text, bold)
    )


def _arrow(x1: float, y1: float, x2: float, y2: float, label: str) -> str:
    mid_x, mid_y = (x1 + x2) / 2, (y1 + y2) / 2
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#334155" stroke-width="1.5" '
        f'marker-end="url(#arrow)"/>'
        f'<text x="{mid_x + 4:.0f}" y="{mid_y - 4:.0f}" font-size="11" fill="#334155">'
        f"{escape(label)}</text>"
    )


def _step(index: int, question: str, answer: str, kind: str, group: str, rule: str = "") -> str:
    """A question with its "yes" branch to the right and "no" down to the next step."""
    y = 16 + index * ROW
    data = f" data-rule={quoteattr(rule)}" if rule else ""
    return (
        f'<g id={quoteattr(group)} class="branch"{data}>'
        + _box(Q_X, y, Q_W, question, "question")
        + _arrow(Q_X + Q_W, y + BOX_H / 2, A_X, y + BOX_H / 2, _("yes"))
        + _box(A_X, y, A_W, answer, kind)
        + _arrow(Q_X + Q_W / 2, y + BOX_H, Q_X + Q_W / 2, y + ROW, _("no"))
        + "</g>"
    )


def _kind(outcome: str | None) -> str:
    return {"approve": "accept", "returnless": "accept", "reject": "refuse"}.get(
        outcome or "", "review" if outcome == "review" else "info"
    )


def flowchart_svg(document: PolicyDocument, *, language: str) -> str:
    """The policy's decision path as an inline SVG document (a string)."""
    steps = [
        _step(
            0,
            _("Is the item excluded (final sale, gift card, personalised, perishable)?"),
            _("Not returnable — except within the legal withdrawal period where the law allows"),
            "refuse",
            "step-excluded",
        ),
        _step(
            1,
            _("Does the shopper live in the EU/EEA, within 14 days of receiving the last item?"),
            _("Legal withdrawal: accepted for time; a rule's refusal becomes a review"),
            "accept",
            "step-withdrawal",
        ),
        _step(
            2,
            _("More than %(days)d days since delivery (or the category's own window)?")
            % {"days": document.window_days},
            _("Return window closed: not eligible"),
            "refuse",
            "step-window",
        ),
    ]
    rules = [rule for rule in document.rules if rule.enabled]
    for offset, rule in enumerate(rules, start=len(steps)):
        conditions = describe_conditions(rule.when) or [_("every item")]
        question = f"{rule.label(language)}: " + "; ".join(conditions) + " ?"
        outcome = describe_outcome(rule.then, language) or [_("no change")]
        kind = _kind(rule.then.decision)
        steps.append(_step(offset, question, "; ".join(outcome), kind, f"rule-{rule.id}", rule.id))
    end_y = 16 + len(steps) * ROW
    end = _box(Q_X, end_y, Q_W, _("No rule decided: the shop reviews the request"), "review")
    height = end_y + BOX_H + 16
    title = escape(_("How a return request is decided"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="flow-title" font-family="sans-serif">'
        f'<title id="flow-title">{title}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#334155"/></marker>'
        "</defs>" + "".join(steps) + f'<g id="step-end">{end}</g></svg>'
    )
