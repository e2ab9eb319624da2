"""What-if analysis: scenario variants, sweeps, runners and comparisons."""

from optimizer.whatif.core import *  # noqa: F401,F403  (temporary during the move)
