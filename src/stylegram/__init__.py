"""stylegram: neural style transfer, texture synthesis and the tools to understand why they work."""

__version__ = "0.1.0"
