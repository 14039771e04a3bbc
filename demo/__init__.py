"""The README's demo: the suite's jobs on a simulated AWS (moto), through the real handlers."""
