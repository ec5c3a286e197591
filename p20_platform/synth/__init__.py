"""The synthetic P20 population: agency deliveries that behave like the real ones, with known truth.

`generate(persons, seed, out)` writes `out/landing/<AGENCY>/<AGENCY>.<REQ>.<MM_DD_YYYY>.matching`
and `.analytical` for all 15 agencies, and `out/truth/` (evaluation only).
"""

from p20_platform.synth.generator import DEFAULT_DELIVERY_DATE, SynthResult, generate
from p20_platform.synth.noise import NOISE_TYPES, NoiseConfig

__all__ = ["DEFAULT_DELIVERY_DATE", "NOISE_TYPES", "NoiseConfig", "SynthResult", "generate"]
