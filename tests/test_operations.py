"""One vocabulary of operations: the commands, the policy table and the services agree.

A command names the policy operation that decides who is offered it (`help`, completion);
a service enforces one with `@requires`. A name in one place and not the others would
offer a command nobody may run, or run one nobody is checked for.
"""
from __future__ import annotations

import importlib
import pkgutil

import epicshell.services
from epicshell.services.entities import ENTITIES
from epicshell.services.policy import POLICY
from epicshell.shell.registry import load_commands


def service_operations() -> dict[str, list[str]]:
    """operation → the service functions whose @requires enforces it."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(epicshell.services.__path__):
        module = importlib.import_module(f"epicshell.services.{info.name}")
        for name, value in vars(module).items():
            operation = getattr(value, "operation", None)
            if callable(value) and isinstance(operation, str) and value.__module__ == module.__name__:
                found.setdefault(operation, []).append(f"{info.name}.{name}")
    return found


def command_operations() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for command in {id(c): c for c in load_commands().values()}.values():
        if command.operation is not None:
            found.setdefault(command.operation, []).append(command.name)
    return found


def test_every_command_operation_is_in_the_policy_table():
    unknown = {op: names for op, names in command_operations().items() if op not in POLICY}
    assert not unknown


def test_every_command_operation_is_enforced_by_a_service():
    enforced = service_operations()
    unchecked = {op: names for op, names in command_operations().items() if op not in enforced}
    assert not unchecked


def test_every_policy_operation_is_enforced_by_a_service():
    assert set(POLICY) - set(service_operations()) == set()


def test_every_service_operation_is_in_the_policy_table():
    assert set(service_operations()) <= set(POLICY)


def test_reading_a_record_kind_names_a_policy_operation():
    assert {entity.read_operation for entity in ENTITIES.values()} <= set(POLICY)
