"""The status page in a real headless Chromium (Debian's, driven by playwright), served by
the unmodified firmware under MicroPython: log in, switch policy and see the telegram on
the pty change, config errors next to their field, what the controller learned and a
warning when the energy data is old, and a layout that fits a phone."""
import json
import os
import time

import pytest

from mpweb import PASSWORD, Installation, amps
from p1host import paths, runner
from p1host.sim import solaredge

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# screenshots to look at (docs/img/status-page.png is one of them, copied by hand)
SHOTS = os.path.join(paths.ROOT, "build", "web-screenshots")

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run tools/system-deps.sh (make test does)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def inst():
    with Installation() as inst:
        yield inst
        log = inst.fw.log()
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def slow_inst(tmp_path_factory):
    """A SolarEdge inverter (the source that names its grid meter) read every 8 s, its data
    older than a 1 Hz meter's most of the time, and what an earlier run learned in flash: the
    charge point's minimum and the car's ramp. settle_s is set, so the reaction delay is the
    user's, whatever was learned."""
    state = tmp_path_factory.mktemp("fw")
    (state / "learned.json").write_text(json.dumps({"min_ma": 8000, "ramp_ma_s": 2500, "response_ms": 9000}))
    inst = Installation(control={"settle_s": 4}, state_dir=str(state))
    inst.sim = solaredge.simulator(inst.site, port=runner.free_port())  # in place of the dongle
    inst.config["source"] = {"kind": "solaredge", "host": "127.0.0.1", "port": inst.sim.port, "poll_ms": 8000}
    inst.config["telegram"] = {"profile": "dsmr5"}  # whose first guess of the minimum is 6 A
    with inst:
        yield inst
        log = inst.fw.log()
    assert "Traceback" not in log, log


def explain(page, inst, what):
    said = page.evaluate("""() => [...document.querySelectorAll('.msg, .err, #login-err, #notice, #config-form p')]
        .filter(e => e.textContent).map(e => (e.id || e.dataset.err) + ': ' + e.textContent)""")
    return AssertionError("page never had %s\npage says: %s\nweb status: %s\nfirmware log:\n%s"
                          % (what, said, inst.status().get("web"), inst.fw.log()[-3000:]))


def wait_js(page, inst, expression, timeout_ms=15000):
    """Wait until ``expression`` holds in the page, failing with what the page and the firmware
    said. Polled from here: page.evaluate is not subject to the page's Content-Security-Policy,
    which (rightly) forbids the eval that page.wait_for_function runs inside the page."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise explain(page, inst, expression)
        time.sleep(0.1)


def new_page(browser, **kwargs):
    """A page that records every Content-Security-Policy violation in ``page.csp``."""
    page = browser.new_page(**kwargs)
    page.csp = []
    page.on("console", lambda m: page.csp.append(m.text) if "Content Security Policy" in m.text else None)
    return page


def click(page, inst, selector):
    try:
        page.click(selector, timeout=10000)
    except sync_api.TimeoutError:
        raise explain(page, inst, selector) from None


def wait_history(inst, samples, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if inst.client.get("/api/history")[1]["count"] >= samples:
            return
        time.sleep(1)


def test_login_switch_policy_and_see_the_telegram_change(inst, browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(inst.client.base + "/")
    wait_js(page, inst, "document.querySelector('#v-grid b') && "
                           "document.querySelector('#v-grid b').textContent === '2070 W'", 20000)
    assert page.text_content("#health") == "ok"
    assert page.is_disabled("#policy-apply")  # read only until logged in

    page.fill("#login-password", "not the password")
    page.click("#login-button")
    wait_js(page, inst, "document.querySelector('#login-err').textContent.includes('wrong password')")
    page.fill("#login-password", PASSWORD)
    page.press("#login-password", "Enter")
    wait_js(page, inst, "document.querySelector('#who').textContent === 'logged in'")
    assert page.is_enabled("#policy-apply")

    with inst.fw.reader() as p1:
        before = amps(p1.wait(1, 10)[0][2])
        assert before == (3.0, 3.0, 3.0)  # "full": the real grid current
        page.select_option("#policy-select", "off")
        page.click("#policy-apply")
        wait_js(page, inst, "document.querySelector('#policy-msg').textContent === 'Now running off.'")
        deadline = time.monotonic() + 10
        now = before
        while now == before and time.monotonic() < deadline:
            latest = p1.latest()
            now = amps(latest[2]) if latest[2] is not None else now
            time.sleep(0.2)
    assert min(now) >= 25.0, now  # "off": at least the fuse, the charger pauses
    wait_js(page, inst, "document.querySelector('#v-reported b').textContent.startsWith('%.1f')" % now[0], 10000)
    assert inst.status()["policy"]["name"] == "off"
    assert not errors, errors
    assert page.csp == [], page.csp  # the page works within its own security policy
    page.close()


def test_config_errors_appear_next_to_the_field(inst, browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(inst.client.base + "/")
    page.fill("#login-password", PASSWORD)
    page.click("#login-button")
    wait_js(page, inst, "document.querySelector('#who').textContent === 'logged in'")
    wait_js(page, inst, "document.body.dataset.loaded === '2'")  # the page reloads its forms after a login
    saved_port = inst.client.get("/api/config")[1]["web"]["port"]
    click(page, inst, 'details[data-section="web"] summary')  # settings sections start folded
    page.fill('[name="web.port"]', "70000")
    page.click("#config-save")
    err = '.err[data-err="web.port"]'
    wait_js(page, inst, "document.querySelector('%s').textContent.includes('at most 65535')" % err)
    assert page.text_content("#config-msg").startswith("Not saved")
    assert page.is_visible(err)
    page.click('details[data-section="web"] summary')
    assert not page.is_visible(err)
    page.click("#config-save")  # an error opens the section it is in
    wait_js(page, inst, "document.querySelector('details[data-section=\"web\"]').open")
    assert page.is_visible(err)
    # the error sits in the same label as its input
    assert page.evaluate("document.querySelector('%s').parentElement === "
                         "document.querySelector('[name=\"web.port\"]').parentElement" % err)
    assert inst.client.get("/api/config")[1]["web"]["port"] == saved_port  # nothing saved

    page.fill('[name="web.port"]', str(saved_port))
    page.click('details[data-section="control"] summary')
    page.fill('[name="control.max_a"]', "20")
    page.click("#config-save")
    wait_js(page, inst, "document.querySelector('#config-msg').textContent === 'Settings saved.'")
    assert page.text_content(err) == ""
    assert inst.client.get("/api/config")[1]["control"]["max_a"] == 20

    # a schedule entry without a day: the error lands on that row's days
    page.click("#schedule-add")
    page.uncheck('#schedule-rows tr[data-row="0"] .days input[value="0"]')
    for day in range(1, 7):
        page.uncheck('#schedule-rows tr[data-row="0"] .days input[value="%d"]' % day)
    page.click("#schedule-save")
    wait_js(page, inst, "document.querySelector('.err[data-err=\"schedule.0.days\"]')"
                           ".textContent.includes('at least one day')")
    page.check('#schedule-rows tr[data-row="0"] .days input[value="5"]')
    page.click("#schedule-save")
    wait_js(page, inst, "document.querySelector('#schedule-msg').textContent === 'Schedule saved.'")
    assert inst.client.get("/api/schedule")[1]["entries"][0]["days"] == [5]
    assert page.csp == [], page.csp  # the page works within its own security policy
    page.close()


def test_page_fits_a_phone_and_a_desktop(inst, browser):
    wait_history(inst, 2, 30)  # two samples draw a line in the chart
    os.makedirs(SHOTS, exist_ok=True)
    for name, viewport in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1280, "height": 900})):
        page = new_page(browser, viewport=viewport, device_scale_factor=1)
        page.goto(inst.client.base + "/")
        wait_js(page, inst, "document.querySelector('#v-grid b') && "
                               "document.querySelector('#v-grid b').textContent.endsWith('W')", 20000)
        wait_js(page, inst, "document.querySelector('#chart-power path') !== null", 30000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (name, width)  # no sideways scrolling
        # every tile and button is inside the screen
        overflow = page.evaluate("""() => [...document.querySelectorAll('.tile, button, select, input')]
            .filter(e => e.offsetParent !== null)
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).length""")
        assert overflow == 0, name
        path = os.path.join(SHOTS, "status-page-%s.png" % name)
        page.screenshot(path=path, full_page=True)
        assert os.path.getsize(path) > 10000
        assert page.csp == [], page.csp  # the page works within its own security policy
        page.close()


def test_learned_values_and_a_warning_when_the_data_is_old(slow_inst, browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page.goto(slow_inst.client.base + "/")
    rows = "[...document.querySelectorAll('#installation tr')].map(tr => [...tr.cells].map(c => c.textContent))"
    wait_js(page, slow_inst, "(document.querySelector('#learned-min_ma') || {}).textContent === 'Minimum current8.0 Alearned'",
            20000)
    assert page.evaluate(rows) == [
        ["Grid meter", "meter 1 (model 203, Export+Import, 3-phase)"],
        ["Reaction delay", "4 s", "set in settings"],  # learned.json's 9 s does not override settle_s
        ["Takes a telegram", "each one", "default guess"],
        ["Car ramp", "2.5 A/s", "learned"],
        ["Start delay", "45 s", "default guess"],
        ["Minimum current", "8.0 A", "learned"]]
    assert page.is_visible("#installation")

    warn = "document.querySelector('#data-warn').textContent"
    wait_js(page, slow_inst, warn + ".startsWith('Energy data is ')", 20000)  # until the next poll, 8 s on
    assert page.is_visible("#data-warn")
    text = page.text_content("#data-warn")
    assert "older than the fuse protection needs" in text
    assert float(text.split()[3]) > 3.0, text
    assert page.text_content("#health") == "old data"
    assert page.get_attribute("#health", "class") == "pill warn"
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "status-page-old-data.png"), full_page=True)
    wait_js(page, slow_inst, warn + " === ''", 20000)  # the next poll's data is fresh: the warning goes
    assert not page.is_visible("#data-warn")
    assert page.text_content("#health") == "ok"
    assert page.csp == [], page.csp
    page.close()
