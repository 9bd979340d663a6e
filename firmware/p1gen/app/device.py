"""The running device as the web API sees it: its state, its config, and the few
things a user may change while it runs (config, policy, the car's state of charge).

The tasks (``p1gen.app.telegrams``, ``p1gen.app.tasks``) do the work and own their state;
the supervisor registers them in ``device.tasks`` and the status is assembled from them.
The device signals them with events: ``source_changed`` (new source settings: the source
task starts it again) and ``config_saved``. Every command returns a list of error texts
(empty when it worked).
"""
import asyncio
import gc
import json

import p1gen
from p1gen import telegram, ticks
from p1gen.app import config as configfile, heap
from p1gen.app.wallclock import utc_now
from p1gen.context import Context, EV_SOC
from p1gen.control import Controller

EV_FIELDS = ("current_soc", "full_soc", "energy_capacity", "energy_request", "evccid")


def _free_heap():
    """Free heap after a collection (what a leak would shrink), None on CPython."""
    if not hasattr(gc, "mem_free"):
        return None
    gc.collect()
    return gc.mem_free()


def _age(now, t):
    return None if t is None else ticks.diff(now, t)


def _update_status():
    """The running firmware, the one before it, the last update's result (p1gen.app.update)."""
    from p1gen.app import update

    return update.status()


def _without_policy(control):
    out = dict(control)
    out.pop("policy", None)
    return out


class Device:
    def __init__(self, board, path=configfile.PATH):
        self.board = board
        self.path = path
        self.start_ms = ticks.ms()
        self.context = Context()
        self.tasks = {}  # name: the running Task (p1gen.app.task), registered by the supervisor
        self.source_changed = asyncio.Event()
        self.config_saved = asyncio.Event()
        self.boot = {"reset_cause": None, "reason": None, "resets": 0}  # why the board last reset (app/resetlog.py)
        self.data_request = None
        self.ev = None
        self.schedule_active = None  # (policy, settings) the schedule runs now, or None
        self.raw, self.config, self.config_errors = configfile.load(path)
        self.controller = self._new_controller()
        self.history = None  # the web server's ring buffer of the last hour, when it runs
        self.web = {"running": False, "error": None}
        self.web_server = None  # p1gen.web's server object, when it runs
        self.mqtt = {"state": "off"}  # the MQTT task's state (p1gen.mqtt.bridge)

    # --- state

    def _new_controller(self):
        name = self.config["control"]["policy"]
        tg = self.config["telegram"]
        controller = Controller(self.config["control"], configfile.policy_settings(self.config, name),
                                telegram.template(tg["profile"], tg["integer_amps"]).amp_div, tg["profile"])
        if self.schedule_active is not None:
            controller.set_policy(self.schedule_active[0], self.schedule_active[1])
        return controller

    def run_policy(self, name, settings):
        return self.controller.set_policy(name, settings)

    def source_settings(self):
        """The source to run: none while the config has errors (failsafe telegrams)."""
        if self.config_errors:
            return {"kind": "none"}
        return self.config["source"]

    def stale_ms(self):
        return self.config["control"]["stale_s"] * 1000

    def quiet_line(self):
        """Before a flash write outside the telegram task's own window: wait (at most one
        telegram's line time) until the P1 line is idle."""
        telegrams = self.tasks.get("telegram")
        if telegrams is not None:
            telegrams.flush()

    # --- the web API

    def status(self):
        now = ticks.ms()
        name, settings = self.running_policy()
        tasks = self.tasks
        tg = tasks["telegram"].stats if "telegram" in tasks else None
        src = tasks["source"].state if "source" in tasks else {
            "kind": self.source_settings()["kind"], "name": None, "last_error": None, "last_ok_ms": None,
            "polls": 0, "failures": 0}
        return {
            "version": p1gen.__version__,
            "board": self.board.NAME,
            "uptime_s": ticks.diff(now, self.start_ms) // 1000,
            "free_heap": _free_heap(),
            "heap": heap.status(),
            "utc_s": utc_now(),
            "boot": self.boot,
            "config_ok": not self.config_errors,
            "config_errors": self.config_errors,
            "context": self.context.as_dict(now),
            "context_info": self.context.info,
            "source": {"kind": src["kind"], "name": src["name"], "health": self.source_health(now),
                       "last_error": src["last_error"], "last_ok_age_ms": _age(now, src["last_ok_ms"]),
                       "polls": src["polls"], "failures": src["failures"]},
            "policy": {"name": self.config["control"]["policy"], "running": name, "settings": settings,
                       "schedule_active": self.schedule_active is not None},
            "control": self.controller.status(),
            "reported_ma": list(tg["reported_ma"]) if tg and tg["reported_ma"] else None,
            "telegram": None if tg is None else {
                "count": tg["count"], "text": None if tg["data"] is None else tg["data"].decode(),
                "interval_s": self.config["p1"]["interval_s"], "age_ms": _age(now, tg["sent_ms"]),
                "late_ms": tg["late_ms"], "late_max_ms": tg["late_max_ms"], "skipped": tg["skipped"],
                "errors": tg["errors"], "last_error": tg["last_error"], "dropped_bytes": tg["dropped_bytes"],
                "profile": self.config["telegram"]["profile"]},
            "data_request": self.data_request,
            "data_request_required": self.config["p1"]["require_data_request"],
            "wifi": tasks["wifi"].state if "wifi" in tasks else None,
            "web": self._web_status(),
            "mqtt": self.mqtt,
            "ev": self.ev,
            "tasks": dict((task.NAME, task.status(now)) for task in tasks.values()),
            "update": _update_status(),
        }

    def _web_status(self):
        out = dict(self.web)
        if self.web_server is not None:
            try:
                out.update(self.web_server.status())
            except Exception as e:
                out["error"] = "status: %s" % e
        return out

    def running_policy(self):
        if self.schedule_active is not None:
            return self.schedule_active
        name = self.config["control"]["policy"]
        return name, configfile.policy_settings(self.config, name)

    def source_health(self, now=None):
        """ok, stale, error, starting, or why there is no source."""
        if self.source_settings()["kind"] == "none":
            return "off: config has errors" if self.config_errors else "no source configured"
        task = self.tasks.get("source")
        if task is None or task.state["kind"] == "none":
            return "starting"
        return task.health(ticks.ms() if now is None else now, self.stale_ms())

    def config_public(self):
        return configfile.public(self.config)

    def apply_config(self, changes):
        """Check changes (a partial config), save and run it; errors and nothing changes when wrong."""
        if type(changes) is not dict:
            return ["config: must be an object {section: settings}"]
        merged = configfile.merge(self.raw if self.raw is not None else {}, changes)
        return self._save_and_use(merged)

    def set_policy(self, name, settings=None):
        """Run policy ``name`` with ``settings`` (None: its saved settings) from now on, saved."""
        from p1gen.policy import NAMES

        if name not in NAMES:
            return ["policy: must be one of %s, got %s" % (", ".join(sorted(NAMES)), json.dumps(name))]
        raw = configfile.merge(self.raw if self.raw is not None else {}, {"control": {"policy": name}})
        if settings is not None:
            policies = dict(raw.get("policies") or {})
            policies[name] = settings
            raw["policies"] = policies
        errors = self._save_and_use(raw, only=("control.policy", "policies.%s" % name))
        if not errors:  # a user's choice runs now; the schedule takes over at its next change
            self.schedule_active = None
            errors = self.run_policy(*self.running_policy())
        return errors

    def _save_and_use(self, raw, only=None):
        cfg, every_error = configfile.validate(raw)
        errors = every_error
        if only is not None:
            errors = [e for e in errors if any(e.startswith(key) for key in only)]
        if errors:
            return errors
        try:
            self.quiet_line()
            configfile.save(self.path, raw)
        except OSError as e:
            return ["config: could not be saved (%s)" % e]
        old, old_errors = self.config, self.config_errors
        self.raw, self.config = raw, cfg
        self.config_errors = every_error
        if _without_policy(old["control"]) != _without_policy(cfg["control"]):
            self.controller = self._new_controller()  # its settings are fixed at construction
        else:
            self.run_policy(*self.running_policy())
        if old["source"] != cfg["source"] or bool(old_errors) != bool(self.config_errors):
            self.source_changed.set()
        self.config_saved.set()
        return []

    def ev_state(self, params):
        """The car's state of charge, as an ISO 15118 modem (pyPLC) or SmartEVSE posts it."""
        errors = []
        values = {}
        for key in params:
            if key not in EV_FIELDS:
                errors.append("ev_state.%s: unknown field (allowed: %s)" % (key, ", ".join(EV_FIELDS)))
                continue
            value = params[key]
            if key == "evccid":
                values[key] = str(value)[:40]
                continue
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors.append("ev_state.%s: must be a whole number, got %s" % (key, json.dumps(value)))
                continue
            hi = 100 if key.endswith("_soc") else 1000000
            if not 0 <= number <= hi:
                errors.append("ev_state.%s: must be 0..%d, got %d" % (key, hi, number))
                continue
            values[key] = number
        if "current_soc" not in values and not errors:
            errors.append("ev_state.current_soc: required (the car's state of charge, %)")
        if errors:
            return errors
        now = ticks.ms()
        self.context.set(EV_SOC, values["current_soc"], "ev_state", now)
        values["received_utc_s"] = utc_now()
        self.ev = values
        return []
