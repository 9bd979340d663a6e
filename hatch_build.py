"""The wheel carries what `p1gen provision` puts on a board besides /lib/p1gen: firmware/main.py
and boards/<board>/board.py, as package data of p1host (found by p1host.paths). An editable
install (`pip install -e .`) puts firmware/ and host/ on the path and reads them where they are."""
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BoardFiles(BuildHookInterface):
    def initialize(self, version, build_data):
        if version == "standard":  # not "editable": a copy there would go stale
            build_data["force_include"]["firmware/main.py"] = "p1host/firmware/main.py"
            build_data["force_include"]["boards"] = "p1host/boards"
