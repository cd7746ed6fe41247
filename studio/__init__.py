"""Model Studio: the whole local life of a language model, on the user's own machine.

Importing this package must stay cheap: no torch, no Qt. The GUI and the CLI import what they need.
"""

__version__ = "0.1.0"
