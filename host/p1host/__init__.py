"""p1gen host tools: simulate, test, benchmark and provision the firmware in ../firmware."""
