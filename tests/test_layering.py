"""The layering: the pure core (ticks, options, context, reading, telegram, policy, control)
imports nothing from the app, the web server or the board (machine, network), directly or
through another p1gen module, anywhere in its code (imports inside functions included)."""
import ast
import os

import pytest

from p1host import paths

PACKAGE = os.path.join(paths.FIRMWARE, "p1gen")
CORE = ("ticks", "options", "context", "reading", "telegram", "policy", "control")
FORBIDDEN = ("p1gen.app", "p1gen.web", "machine", "network")


def module_file(name):
    """The file of p1gen module ``name`` ("p1gen.telegram.csp1"), or None when it is no module here."""
    base = os.path.join(paths.FIRMWARE, *name.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.exists(path):
            return path
    return None


def imports(path, name):
    """Every module name the file imports (from-imports give both the module and module.name)."""
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update("%s.%s" % (base, alias.name) for alias in node.names)
    return out


def closure(start):
    """{module: the module that imported it} for everything start imports, through p1gen modules."""
    seen = {start: None}
    todo = [start]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if path is None:
            continue
        for imported in imports(path, name):
            if imported not in seen:
                seen[imported] = name
                if imported.startswith("p1gen.") and module_file(imported):
                    todo.append(imported)
    return seen


def core_modules():
    out = []
    for top in CORE:
        if os.path.isdir(os.path.join(PACKAGE, top)):
            for file in sorted(os.listdir(os.path.join(PACKAGE, top))):
                if file.endswith(".py"):
                    out.append("p1gen.%s" % top if file == "__init__.py" else "p1gen.%s.%s" % (top, file[:-3]))
        else:
            out.append("p1gen." + top)
    return out


@pytest.mark.parametrize("module", core_modules())
def test_the_core_imports_nothing_of_the_app_web_or_board(module):
    reached = closure(module)
    bad = sorted(name for name in reached if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert bad == [], ["%s (imported by %s)" % (name, reached[name]) for name in bad]


def test_the_check_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The check itself: a core module importing the app is caught."""
    (tmp_path / "p1gen").mkdir()
    (tmp_path / "p1gen" / "reading.py").write_text("def f():\n    from .app import device\n")
    monkeypatch.setattr(paths, "FIRMWARE", str(tmp_path))
    assert "p1gen.app.device" in closure("p1gen.reading")
