"""Print the app-to-app import graph, floor by floor, and fail on a cycle or an import that
points up (see core/layers.py). The test command runs it."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps as django_apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.layers import build_graph


def project_apps() -> list[str]:
    """The product's own apps in settings' order (those whose folder is in the project)."""
    base = Path(settings.BASE_DIR)
    names = []
    for config in django_apps.get_app_configs():
        if Path(config.path).parent == base:
            names.append(config.name)
    return names


class Command(BaseCommand):
    help = "打印应用之间的导入关系，发现循环导入或自下而上的导入时失败。"

    def add_arguments(self, parser):
        parser.add_argument("--root", default=str(settings.BASE_DIR))

    def handle(self, *args, root, **options):
        apps = project_apps()
        graph = build_graph(Path(root), apps)
        edges = graph.edges
        for floor, app in enumerate(apps):
            below = ", ".join(a for a in apps if a in edges.get(app, set())) or "—"
            self.stdout.write(f"{floor:2d} {app:14s} → {below}")
        problems = []
        for cycle in graph.cycles():
            problems.append("循环导入：" + " ↔ ".join(cycle))
        for imp in graph.upward():
            kind = "（函数内）" if imp.in_function else ""
            problems.append(f"自下而上的导入{kind}：{imp.source} → {imp.target}  {imp.where}")
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(self.style.SUCCESS(f"{len(apps)} 个应用，无循环导入。"))
