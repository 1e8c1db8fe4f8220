"""Issue (or revoke) a user's API token from the command line:

    python manage.py issue_api_token registry_bot          # prints the new token
    python manage.py issue_api_token registry_bot --revoke

A new token replaces the old one at once. Both are written to the security log. The key is
the only line on standard output (so `KEY=$(manage.py issue_api_token …)` works); when it
expires (API_TOKEN_LIFETIME_DAYS after now) is written to standard error."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from api.services import token_expires_at, token_issue, token_lifetime, token_revoke


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
        expires = timezone.localtime(token_expires_at(token))
        days = token_lifetime().days
        self.stderr.write(f"令牌有效期至 {expires:%Y-%m-%d %H:%M}（{days} 天）。")
