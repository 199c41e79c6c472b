"""Small statistics on counts. Rates here are proportions, not money: floats are fine."""

import math

Z_95 = 1.959964  # two-sided 95 %


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (successes ÷ trials), clamped to [0, 1].

    Unlike the raw ratio it widens when there are few trials: 1 return out of 1 sale gives
    [0.21, 1], while 150 out of 500 gives [0.26, 0.34]."""
    if trials <= 0:
        return 0.0, 1.0
    successes = min(max(successes, 0), trials)
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denominator = 1 + z2 / trials
    return max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator)


def wilson_lower(successes: int, trials: int) -> float:
    return wilson_interval(successes, trials)[0]
