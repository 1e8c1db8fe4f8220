from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scope import Role, scope_of

__all__ = ["ROLE_GROUPS", "Role", "SecurityEvent", "SecurityEventTally", "User"]

# Each role is also a Django group (least privilege in the admin and for model permissions);
# `User.role` stays the source and the group follows it on every save (accounts/signals.py).
ROLE_GROUPS: dict[str, str] = {
    Role.TOWNSHIP_STAFF: "乡镇工作人员",
    Role.CADRE: "驻村干部",
    Role.COORDINATOR: "帮扶单位联络人",
    Role.REVIEWER: "审核人员",
    Role.ADMIN: "系统管理员",
}

# Fields whose change is a security event (who may see what, and who may log in).
TRACKED_USER_FIELDS = (
    "username",
    "role",
    "region_id",
    "unit_id",
    "cadre_id",
    "is_active",
    "is_staff",
    "is_superuser",
    "must_change_password",
)


class User(AbstractUser):
    """A person who logs in. The role decides what they may do; the region (or, for cadres and
    coordinators, the cadre record and the unit) decides what they may see."""

    role = models.CharField(
        _("角色"), max_length=20, choices=Role.choices, default=Role.TOWNSHIP_STAFF
    )
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("管辖区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("用户可查看该区划及其下级的全部数据。"),
    )
    unit = models.ForeignKey(
        "pairing.Unit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    cadre = models.OneToOneField(
        "cadres.Cadre",
        verbose_name=_("对应干部"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    must_change_password = models.BooleanField(
        _("首次登录须修改密码"),
        default=False,
        help_text=_("管理员创建或重置的账户在首次登录时必须修改密码。"),
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @classmethod
    def from_db(cls, db, field_names, values):
        # Remember the values as loaded, so a save can tell what changed without a query.
        instance = super().from_db(db, field_names, values)
        instance._loaded_security_values = {
            name: instance.__dict__.get(name)
            for name in TRACKED_USER_FIELDS
            if name in instance.__dict__
        }
        return instance

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self._password_was_set = True

    def __str__(self) -> str:
        full = f"{self.last_name}{self.first_name}".strip()
        return full or self.username

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def scope(self):
        return scope_of(self)

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER or self.is_admin

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def can_enter_work(self) -> bool:
        """Township staff and cadres enter visits and activities; administrators may too."""
        return self.role in {Role.TOWNSHIP_STAFF, Role.CADRE} or self.is_admin

    @property
    def can_view_full_id(self) -> bool:
        """Full ID numbers are for reviewers and administrators; everyone else sees them masked."""
        return self.is_reviewer


class SecurityEventQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionDenied(_("安全日志不可删除，只能由保存期满清理命令清理。"))

    def purge_before(self, cutoff) -> int:
        """Only `purge_security_log` calls this, with a cutoff it has checked against the
        legal minimum keeping time."""
        return super(SecurityEventQuerySet, self.filter(created_at__lt=cutoff)).delete()[0]


class SecurityEvent(models.Model):
    """The security log (等级保护 audit): append-only, kept SECURITY_LOG_KEEP_DAYS days.
    Rows are written by accounts/signals.py and accounts/services.py (and by the ledgers and
    spot-check services for exports and voided draws); nothing in the product edits them."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录成功")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出登录")
        LOCKOUT = "lockout", _("账户锁定")
        UNLOCK = "unlock", _("解除锁定")
        EXPORT = "export", _("导出")
        DOWNLOAD = "download", _("下载")
        IMPORT = "import", _("导入")
        FULL_ID_VIEW = "full_id_view", _("查看完整身份证号")
        USER_CHANGE = "user_change", _("用户、角色或范围变更")
        PASSWORD_CHANGE = "password_change", _("修改密码")
        THRESHOLD_CHANGE = "threshold_change", _("指标阈值变更")
        DRAW_VOIDED = "draw_voided", _("抽查作废")
        TOKEN = "token", _("接口令牌签发或吊销")
        TOKEN_EXPIRED = "token_expired", _("使用过期的接口令牌（按小时汇总）")
        OUT_OF_SCOPE = "out_of_scope", _("越权或不存在的对象被拒（按小时汇总）")
        PERIOD_REOPEN = "period_reopen", _("重新开放已锁定的报送期间")

    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=15, blank=True)
    rows = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("安全日志")
        verbose_name_plural = _("安全日志")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "created_at"], name="security_kind_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied(_("安全日志不可修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(_("安全日志不可删除，只能由保存期满清理命令清理。"))


class SecurityEventTally(models.Model):
    """How often a folded event happened: a probe (refused out-of-scope objects, an expired
    token retried by a program) is one SecurityEvent per user, kind and hour, written at its
    first occurrence, and this row counts the occurrences. The count lives here, not on the
    event, because security-log rows are never updated (on PostgreSQL a trigger refuses it)."""

    event = models.OneToOneField(
        SecurityEvent, verbose_name=_("安全日志"), on_delete=models.CASCADE, related_name="tally"
    )
    kind = models.CharField(_("事件"), max_length=20, choices=SecurityEvent.Kind.choices)
    username = models.CharField(_("用户名"), max_length=150)
    hour = models.DateTimeField(_("小时"))
    count = models.PositiveIntegerField(_("次数"), default=1)
    last_at = models.DateTimeField(_("最近一次"))

    class Meta:
        verbose_name = _("安全日志汇总")
        verbose_name_plural = _("安全日志汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "username", "hour"], name="security_tally_once_per_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.hour:%Y-%m-%d %H}时 ×{self.count}"
