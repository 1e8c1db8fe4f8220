"""Import a household roster (贫困户名册) from an xlsx file:

    python manage.py import_households roster.xlsx --dry-run
    python manage.py import_households roster.xlsx --user township1 --errors-out errors.xlsx

All or nothing: when any row is wrong nothing is imported, every error is listed and the command
exits with status 1 (with --errors-out, the workbook is copied with an error column added).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ledgers import importers, services
from ledgers.management.commands._options import user_by_name


class Command(BaseCommand):
    help = "从 Excel 导入贫困户名册（全部正确才导入）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="名册文件 .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不导入")
        parser.add_argument("--user", help="按该用户的管辖范围检查（默认不限范围）")
        parser.add_argument("--income-year", type=int, help="年人均纯收入记入的年度，默认今年")
        parser.add_argument("--errors-out", help="有错误时，把标注了错误的名册写到这里")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        user = user_by_name(options["user"])
        if user is not None and not services.user_can_import(user):
            raise CommandError(f"用户 {user.username} 无权导入名册。")
        income_year = options["income_year"] or timezone.localdate().year
        try:
            check = services.roster_import_path(
                path=path, user=user, income_year=income_year, dry_run=options["dry_run"]
            )
        except importers.RosterRefused as refused:
            raise CommandError(refused.message) from refused
        parsed = check.parsed
        self.stdout.write(
            f"工作表“{parsed.sheet}”，表头在第 {parsed.header_row} 行，数据 {check.total_rows} 行。"
        )
        if not check.ok:
            for e in check.errors:
                self.stdout.write(
                    f"第 {e.row} 行  {e.column}（{e.letter}列）  “{e.value}”：{e.message}"
                )
            if options["errors_out"]:
                with path.open("rb") as handle:
                    content = importers.error_workbook(
                        handle,
                        sheet=parsed.sheet,
                        header_row=parsed.header_row,
                        errors=[e.as_dict() for e in check.errors],
                    )
                Path(options["errors_out"]).write_bytes(content)
                self.stdout.write(f"标注了错误的名册：{options['errors_out']}")
            raise CommandError(f"共 {len(check.errors)} 处错误，未导入任何数据。")
        verb = "将新增" if options["dry_run"] else "已新增"
        self.stdout.write(
            f"{verb} {check.created} 户，更新 {check.updated} 户，未变化 {check.unchanged} 户。"
            + ("（试运行，未写入）" if options["dry_run"] else "")
        )
