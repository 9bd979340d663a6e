"""Host-side simulators: the installation (PV, house, battery, charge point, car) and the
energy sources the board reads (SMA, SolarEdge, HomeWizard, the smart meter's P1 port)."""
