"""The device side of the firmware: config file, the running Device, its tasks
(supervisor.py starts them), the schedule and the history ring buffer."""
