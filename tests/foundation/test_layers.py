"""The apps' floors: no import cycle and no upward import (core/layers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core.layers import build_graph
from core.management.commands.import_graph import project_apps


def test_the_project_has_no_cycle_and_no_upward_import():
    graph = build_graph(Path(settings.BASE_DIR), project_apps())
    assert graph.cycles() == []
    assert [f"{i.source} → {i.target} {i.where}" for i in graph.upward()] == []
    assert project_apps()[0] == "core"
    assert "core" not in {i.source for i in graph.imports}  # the ground floor imports no app


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_a_cycle_added_inside_a_function_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "low/__init__.py": "",
            "low/services.py": "def f():\n    from high.models import Thing  # hidden\n",
            "high/__init__.py": "",
            "high/models.py": "from low.services import f\n",
        },
    )
    graph = build_graph(root, ["low", "high"])
    assert graph.cycles() == [["high", "low"]]
    (upward,) = graph.upward()
    assert (upward.source, upward.target, upward.in_function) == ("low", "high", True)


def test_migrations_and_other_packages_do_not_count(tmp_path):
    root = _tree(
        tmp_path,
        {
            "low/migrations/0001_initial.py": "import high.models\n",
            "low/views.py": "import django\nfrom .models import X\n",
            "high/models.py": "import low\n",
        },
    )
    graph = build_graph(root, ["low", "high"])
    assert graph.cycles() == []
    assert graph.upward() == []


def test_the_command_fails_on_a_cycle(tmp_path, settings):
    root = _tree(
        tmp_path,
        {
            "core/scope.py": "from accounts.models import User\n",
            "accounts/models.py": "from core.scope import Role\n",
        },
    )
    with pytest.raises(CommandError, match="循环导入"):
        call_command("import_graph", root=str(root))


def test_the_command_prints_the_floors(capsys):
    call_command("import_graph")
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["0", "core"]
    assert "无循环导入" in out
