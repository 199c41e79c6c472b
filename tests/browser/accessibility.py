"""The accessibility check every page's browser test runs: axe-core, as bundled by
axe-playwright-python (no download), WCAG 2.1 A and AA rules."""

from axe_playwright_python.sync_playwright import Axe

BLOCKING = {"serious", "critical"}
_AXE = Axe()


def serious_violations(page) -> list[str]:
    """The serious and critical WCAG 2.1 AA violations on the page, one line each."""
    results = _AXE.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        },
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]
