"""Issue (or revoke) a user's API token from the command line:

    python manage.py issue_api_token registry_bot          # prints the new token
    python manage.py issue_api_token registry_bot --revoke

A new token replaces the old one at once. Both are written to the security log."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.services import token_issue, token_revoke


class Command(BaseCommand):
    help = "签发或吊销用户的接口令牌（记入安全日志）。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="吊销该用户的令牌")

    def handle(self, *args, username, revoke, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        if revoke:
            had = token_revoke(user=user, via="manage.py")
            self.stdout.write("令牌已吊销。" if had else "该用户没有令牌。")
            return
        if not user.is_active:
            raise CommandError(f"用户已停用，不能签发令牌：{username}")
        token = token_issue(user=user, via="manage.py")
        self.stdout.write(token.key)
