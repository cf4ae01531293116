"""Every function's environment holds every variable its code reads through a settings class.

The names come from the settings classes' aliases (shared/core/config.py); which classes each
function reads is declared once, in infra/environment.py. The template is checked against that
declaration, and the declaration against the handlers' own code (what they and the shared/wiring.py
builders they import name), so a handler that starts reading a new setting fails here, not in AWS.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from infra.environment import FUNCTION_SETTINGS, SettingValues, aliases, environment, settings_classes
from tests.infra.conftest import ROOT
from tests.infra.template_tools import Template, service_functions

pytestmark = pytest.mark.xdist_group("infra")


def _functions(template: Template) -> dict[str, dict[str, Any]]:
    """Construct id -> the function's properties."""
    return {
        logical.removeprefix("Functions")[:-8]: fn["Properties"] for logical, fn in service_functions(template).items()
    }


def test_every_function_declares_what_it_reads(template: Template) -> None:
    assert set(_functions(template)) == set(FUNCTION_SETTINGS)


def test_every_alias_of_every_settings_class_a_function_reads_is_in_its_environment(template: Template) -> None:
    for construct_id, props in _functions(template).items():
        variables = props["Environment"]["Variables"]
        for model in FUNCTION_SETTINGS[construct_id]:
            for name, alias in aliases(model).items():
                if not model.model_fields[name].is_required():
                    continue  # optional (a default in the code): set only where a value is given
                assert alias in variables, f"{construct_id} reads {model.__name__}.{name} from {alias}: not set"
                assert variables[alias] not in ("", None), f"{construct_id}: {alias} is empty"


def test_a_field_name_means_one_variable_and_every_field_has_a_value_slot() -> None:
    """SettingValues is keyed by field name: a name must mean the same variable in every class."""
    seen: dict[str, str] = {}
    for model in settings_classes():
        for name, alias in aliases(model).items():
            assert seen.setdefault(name, alias) == alias, f"{model.__name__}.{name}: {alias} vs {seen[name]}"
    assert set(seen) == {f.name for f in dataclasses.fields(SettingValues)}


def test_a_missing_value_or_an_undeclared_function_fails_the_synth() -> None:
    with pytest.raises(ValueError, match=r"StorageSettings.table_name \(TABLE_NAME\)"):
        environment("ActivateCabinetFunction", SettingValues())
    with pytest.raises(KeyError, match="FUNCTION_SETTINGS"):
        environment("NewFunction", SettingValues(table_name="t"))
    assert environment("ActivateCabinetFunction", SettingValues(table_name="t")) == {"TABLE_NAME": "t"}


# --- the declaration against the code ------------------------------------------------------------


def _names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def _wiring() -> dict[str, set[str]]:
    """Each shared/wiring.py builder -> the settings classes it (or a builder it calls) reads."""
    classes = {model.__name__ for model in settings_classes()}
    tree = ast.parse((ROOT / "shared" / "wiring.py").read_text())
    builders = {node.name: _names(node) for node in tree.body if isinstance(node, ast.FunctionDef)}
    resolved: dict[str, set[str]] = {}

    def resolve(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if name not in resolved:
            names = builders[name]
            calls = (names & set(builders)) - seen - {name}
            resolved[name] = (names & classes).union(*(resolve(c, seen | {name}) for c in calls))
        return resolved[name]

    return {name: resolve(name) for name in builders}


def _read_by(handler: str) -> set[str]:
    """Settings classes the handler's module names, directly or through wiring builders it imports,
    following the modules of its own function folder it imports."""
    classes = {model.__name__ for model in settings_classes()}
    wiring = _wiring()
    module = handler.rsplit(".", 1)[0]
    folder = ".".join(module.split(".")[:2])
    todo: list[str] = [module]
    done: set[str] = set()
    found: set[str] = set()
    while todo:
        current = todo.pop()
        if current in done:
            continue
        done.add(current)
        path = ROOT / Path(*current.split(".")).with_suffix(".py")
        if not path.is_file():
            continue
        tree = ast.parse(path.read_text())
        names = _names(tree)
        found |= names & classes
        for name in names & set(wiring):
            found |= wiring[name]
        imported = (n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module)
        todo += [name for name in imported if name.startswith(folder)]
    return found


def test_the_declaration_covers_what_each_handler_reads(template: Template) -> None:
    by_name: dict[str, type[BaseModel]] = {model.__name__: model for model in settings_classes()}
    for construct_id, props in _functions(template).items():
        declared = {alias for model in FUNCTION_SETTINGS[construct_id] for alias in aliases(model).values()}
        for name in _read_by(props["Handler"]):
            missing = set(aliases(by_name[name]).values()) - declared
            assert not missing, f"{construct_id} reads {name}: declare it in FUNCTION_SETTINGS ({sorted(missing)})"


def test_the_code_reading_check_sees_the_wiring() -> None:
    """The check above must find something to check: the applications API reads submission settings."""
    assert {"SubmissionSettings", "PrefillSettings", "ContactSettings"} <= _read_by(
        "functions.submit_application.handler.handler"
    )
    assert _read_by("functions.verify_inn.handler.handler") >= {"FnsSettings", "LookupSettings", "StorageSettings"}
