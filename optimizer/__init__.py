"""Food-supply logistics optimizer for Nha Trang, Ninh Hòa and Vạn Ninh (Khánh Hòa, July 2021 lockdown)."""

from optimizer.errors import InputError, OptimizerError, Problem

__all__ = ["InputError", "OptimizerError", "Problem"]
__version__ = "0.1.0"
