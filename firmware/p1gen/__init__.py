"""p1gen firmware package: the pure core (telegram, context, policy, control, config)
shared unmodified with the host, and the device side (sources, app, web)."""

VERSION = "0.1.0"
