"""p1gen firmware package: the pure core (telegram, context, policy, control, config)
shared unmodified with the host, and the device side (sources, app, web)."""

__version__ = "0.1.0"  # the one version: the wheel's, `p1gen --version`, the board's status
