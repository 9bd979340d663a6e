"""The device side of the firmware: config file, the running Device, its tasks
(supervisor.py starts them) and the schedule."""
