"""Writes for spot checks and rectification. The reviewer's pages and the management command
`draw_spot_check` call these, so the rules below hold whichever way a draw or an item is made.

The draw (每季度抽查不低于50%, 003):
- strata are the townships under the region; each township contributes ⌈share × its villages⌉
  villages, so no township is skipped and the region as a whole reaches the share;
- each stratum is drawn with its own `random.Random(f"{seed}-t{township_id}")` over the sorted
  village ids (PERFORMANCE.md: sort first, never ORDER BY random()), and each drawn village's
  households with `random.Random(f"{seed}-v{village_id}")`; the same region, quarter, settings
  and seed therefore always give the same sample, whatever the row order or the database;
- "exclude last quarter" leaves out the villages of the previous quarter's live draw where the
  township has enough others, and tops the stratum up from them where it has not.

Rectification (问题、任务、责任清单，销号管理, 004): open → submitted (by the responsible side, with
evidence) → closed (by a reviewer who is not the responsible person) or reopened.
"""

from __future__ import annotations

import datetime
import math
import random
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, SecurityEvent, User
from core.scope import scope_of
from households.models import Household
from households.services import photo_reencode
from inspections.models import (
    Inspection,
    RectificationEvidence,
    RectificationItem,
    RectificationLog,
    RectificationStatus,
    SpotCheckDraw,
    SpotCheckItem,
)
from villages.models import Region, RegionLevel, Village

if TYPE_CHECKING:
    from pairing.models import Unit

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
# A reviewing region sits above the townships it stratifies by.
DRAW_LEVELS = {RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY}
MAX_HOUSEHOLDS_PER_VILLAGE = 50
SEED_MAX = 10**12  # a seed a person can read out and type back in


# --- quarters --------------------------------------------------------------------------------
def quarter_parse(value: str) -> tuple[int, int]:
    match = QUARTER_RE.match((value or "").strip().upper())
    if not match:
        raise ValidationError(
            _("季度格式应为“年份Q季度”，如 2026Q4。"), code="bad_quarter", params={"value": value}
        )
    return int(match.group(1)), int(match.group(2))


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_previous(quarter: str) -> str:
    year, q = quarter_parse(quarter)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_bounds(quarter: str) -> tuple[datetime.date, datetime.date]:
    year, q = quarter_parse(quarter)
    start = datetime.date(year, 3 * q - 2, 1)
    end = (
        datetime.date(year + 1, 1, 1) if q == 4 else datetime.date(year, 3 * q + 1, 1)
    ) - datetime.timedelta(days=1)
    return start, end


# --- who may do what -------------------------------------------------------------------------
def _require_reviewer_for(user: User | None, region: Region) -> None:
    """Draws are a reviewer's business, inside their own region; anyone else is told 'not found'
    (the sample must not be seen by the units being checked)."""
    if not (user and user.is_authenticated and user.is_active and user.is_reviewer):
        raise Http404
    if not scope_of(user).covers(region):
        raise Http404


def _ensure_item_visible(user: User, item: RectificationItem) -> None:
    if not rectification_visible(user).filter(pk=item.pk).exists():
        raise Http404


def rectification_visible(user: User) -> QuerySet[RectificationItem]:
    """Items a user may see: their scope, plus the items they are personally responsible for."""
    scoped = RectificationItem.objects.visible_to(user)
    if not (user and user.is_authenticated and user.is_active):
        return scoped
    return RectificationItem.objects.filter(
        Q(pk__in=scoped.values("pk")) | Q(responsible_person=user)
    )


# --- the draw --------------------------------------------------------------------------------
@dataclass
class DrawPlan:
    """A computed sample (nothing saved): what `spot_check_draw` stores and what a re-check
    compares against."""

    seed: int
    villages: list[tuple[int, int]] = field(default_factory=list)  # (village_id, township_id)
    households: list[tuple[int, int, int]] = field(default_factory=list)  # (hh, village, township)
    per_township: dict[int, tuple[int, int]] = field(default_factory=dict)  # id: (drawn, total)
    excluded: list[int] = field(default_factory=list)

    @property
    def keys(self) -> set[tuple[int, int | None]]:
        return {(v, None) for v, _t in self.villages} | {(v, h) for h, v, _t in self.households}

    @property
    def village_total(self) -> int:
        return sum(total for _drawn, total in self.per_township.values())


def _clean_share(share: Decimal | float | str) -> Decimal:
    try:
        value = Decimal(str(share))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(
            _("抽查比例应为 0 到 1 之间的数，如 0.5。"), code="bad_share"
        ) from exc
    if not (Decimal("0") < value <= Decimal("1")):
        raise ValidationError(
            _("抽查比例应大于 0 且不超过 1（如 0.5 表示 50%）。"), code="bad_share"
        )
    return value.quantize(Decimal("0.001"))


def _clean_households_per_village(value: int | str | None) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("每村抽查户数应为整数。"), code="bad_households") from exc
    if not 0 <= number <= MAX_HOUSEHOLDS_PER_VILLAGE:
        raise ValidationError(
            _("每村抽查户数应在 0 到 %(max)d 之间。") % {"max": MAX_HOUSEHOLDS_PER_VILLAGE},
            code="bad_households",
        )
    return number


def _clean_seed(seed: int | str | None) -> int | None:
    if seed in (None, ""):
        return None
    try:
        value = int(seed)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("随机种子应为非负整数。"), code="bad_seed") from exc
    if not 0 <= value < 2**63:
        raise ValidationError(_("随机种子应为非负整数。"), code="bad_seed")
    return value


def _previous_villages(region: Region, quarter: str, before: datetime.datetime | None) -> set[int]:
    """Villages of the previous quarter's draw that was live at `before` (now, for a new draw;
    the draw's own time, for a re-check, so a later void does not change the answer)."""
    draws = SpotCheckDraw.objects.filter(region=region, quarter=quarter_previous(quarter))
    if before is None:
        draws = draws.filter(voided=False)
    else:
        draws = draws.filter(drawn_at__lt=before).filter(Q(voided=False) | Q(voided_at__gt=before))
    return set(
        SpotCheckItem.objects.filter(draw__in=draws, household__isnull=True).values_list(
            "village_id", flat=True
        )
    )


def spot_check_compute(
    *,
    region: Region,
    quarter: str,
    seed: int,
    share: Decimal | float | str = Decimal("0.5"),
    households_per_village: int = 0,
    exclude_previous: bool = False,
    as_of: datetime.datetime | None = None,
) -> DrawPlan:
    """The sample for these settings, computed and not saved (`draw_spot_check --dry-run`,
    the re-check, and the draw itself all use this)."""
    quarter_parse(quarter)
    share = _clean_share(share)
    households_per_village = _clean_households_per_village(households_per_village)
    plan = DrawPlan(seed=seed)

    strata: dict[int, list[int]] = defaultdict(list)
    rows = (
        # The draw's region, already checked against the reviewer's scope (_require_reviewer_for).
        Village.objects.filter(path__startswith=region.path)
        .order_by("id")
        .values_list("id", "township_id")
    )
    for village_id, township_id in rows.iterator(chunk_size=5000):
        strata[township_id].append(village_id)
    excluded = _previous_villages(region, quarter, as_of) if exclude_previous else set()

    for township_id in sorted(strata):
        ids = strata[township_id]  # already sorted by id
        wanted = math.ceil(share * len(ids))
        rng = random.Random(f"{seed}-t{township_id}")
        fresh = [v for v in ids if v not in excluded]
        if len(fresh) >= wanted:
            chosen = rng.sample(fresh, wanted)
        else:
            # Too few villages left after excluding last quarter's: take them all and top up
            # from the excluded ones, so the township still contributes its share.
            again = [v for v in ids if v in excluded]
            chosen = fresh + rng.sample(again, wanted - len(fresh))
        plan.excluded.extend(v for v in ids if v in excluded and v not in chosen)
        plan.villages.extend((v, township_id) for v in sorted(chosen))
        plan.per_township[township_id] = (wanted, len(ids))

    if households_per_village and plan.villages:
        drawn = {v: t for v, t in plan.villages}
        by_village: dict[int, list[int]] = defaultdict(list)
        hh_rows = (
            # The draw's region, already checked (see above): not a question of who sees what.
            Household.objects.filter(path__startswith=region.path)
            .order_by("id")
            .values_list("id", "village_id")
        )
        for hh_id, village_id in hh_rows.iterator(chunk_size=20000):
            if village_id in drawn:
                by_village[village_id].append(hh_id)
        for village_id, township_id in plan.villages:
            ids = by_village.get(village_id, [])
            rng = random.Random(f"{seed}-v{village_id}")
            chosen = rng.sample(ids, min(households_per_village, len(ids)))
            plan.households.extend((h, village_id, township_id) for h in sorted(chosen))
    return plan


def spot_check_draw(
    *,
    region: Region,
    quarter: str,
    drawn_by: User | None,
    share: Decimal | float | str = Decimal("0.5"),
    households_per_village: int = 0,
    exclude_previous: bool = False,
    seed: int | str | None = None,
) -> SpotCheckDraw:
    """Draw and store a quarter's sample for a region. One live draw per region and quarter."""
    if region.level not in DRAW_LEVELS:
        raise ValidationError(
            _("抽查区划应为县（区）、市（州）或省，按其下乡镇分层抽取。"), code="bad_region_level"
        )
    if drawn_by is not None:
        _require_reviewer_for(drawn_by, region)
    quarter = quarter.strip().upper()
    quarter_parse(quarter)
    share = _clean_share(share)
    households_per_village = _clean_households_per_village(households_per_village)
    seed_value = _clean_seed(seed)
    if seed_value is None:
        seed_value = secrets.randbelow(SEED_MAX)
    if SpotCheckDraw.objects.filter(region=region, quarter=quarter, voided=False).exists():
        raise ValidationError(
            _("%(region)s %(quarter)s 已有抽查结果；如需重抽，请先作废原抽查并说明原因。")
            % {"region": region.name, "quarter": quarter},
            code="draw_exists",
        )
    plan = spot_check_compute(
        region=region,
        quarter=quarter,
        seed=seed_value,
        share=share,
        households_per_village=households_per_village,
        exclude_previous=exclude_previous,
    )
    if not plan.villages:
        raise ValidationError(_("该区划下没有村，无法抽查。"), code="no_villages")
    try:
        with transaction.atomic():
            draw = SpotCheckDraw.objects.create(
                region=region,
                quarter=quarter,
                share=share,
                households_per_village=households_per_village,
                exclude_previous=exclude_previous,
                seed=seed_value,
                drawn_by=drawn_by,
            )
            items = [
                SpotCheckItem(draw=draw, village_id=v, township_id=t) for v, t in plan.villages
            ]
            items += [
                SpotCheckItem(draw=draw, village_id=v, household_id=h, township_id=t)
                for h, v, t in plan.households
            ]
            SpotCheckItem.objects.bulk_create(items, batch_size=2000)
    except IntegrityError as exc:  # a second reviewer drew the same quarter at the same moment
        raise ValidationError(
            _("%(region)s %(quarter)s 已有抽查结果；如需重抽，请先作废原抽查并说明原因。")
            % {"region": region.name, "quarter": quarter},
            code="draw_exists",
        ) from exc
    return draw


@dataclass
class RecheckResult:
    matches: bool
    stored: int
    recomputed: int
    missing: list[tuple[int, int | None]]  # stored but not in the recomputed sample
    extra: list[tuple[int, int | None]]  # recomputed but not stored


def spot_check_recheck(*, draw: SpotCheckDraw, user: User | None = None) -> RecheckResult:
    """Recompute the draw from its recorded settings and seed and compare with what is stored."""
    if user is not None:
        _require_reviewer_for(user, draw.region)
    plan = spot_check_compute(
        region=draw.region,
        quarter=draw.quarter,
        seed=draw.seed,
        share=draw.share,
        households_per_village=draw.households_per_village,
        exclude_previous=draw.exclude_previous,
        as_of=draw.drawn_at,
    )
    stored = set(draw.items.values_list("village_id", "household_id"))
    recomputed = plan.keys
    return RecheckResult(
        matches=stored == recomputed,
        stored=len(stored),
        recomputed=len(recomputed),
        missing=sorted(stored - recomputed, key=lambda k: (k[0], k[1] or 0)),
        extra=sorted(recomputed - stored, key=lambda k: (k[0], k[1] or 0)),
    )


def spot_check_void(
    *, draw: SpotCheckDraw, user: User, reason: str, ip_address: str | None = None
) -> SpotCheckDraw:
    """Void a draw with a reason (logged in the security log), so the quarter may be drawn again."""
    _require_reviewer_for(user, draw.region)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("作废抽查必须填写原因。"), code="reason_required")
    if len(reason) > 300:
        raise ValidationError(_("作废原因不能超过 300 字。"), code="reason_too_long")
    with transaction.atomic():
        changed = SpotCheckDraw.objects.filter(pk=draw.pk, voided=False).update(
            voided=True, voided_by=user, voided_at=timezone.now(), void_reason=reason
        )
        if not changed:
            raise ValidationError(_("该抽查已作废。"), code="already_voided")
        SecurityEvent.objects.create(
            kind=SecurityEvent.Kind.DRAW_VOIDED,
            user=user,
            username=user.get_username(),
            ip_address=ip_address,
            region_code=draw.region.code,
            detail={"draw": draw.pk, "quarter": draw.quarter, "seed": draw.seed, "reason": reason},
        )
    draw.refresh_from_db()
    return draw


# --- inspections -----------------------------------------------------------------------------
def inspection_record(
    *,
    item: SpotCheckItem,
    inspector: User,
    inspected_on: datetime.date,
    findings: str = "",
    no_problem: bool = False,
) -> Inspection:
    """Record (or correct) the inspection of a drawn village or household."""
    _require_reviewer_for(inspector, item.draw.region)
    if item.draw.voided:
        raise ValidationError(_("该抽查已作废，不能再登记督查结果。"), code="draw_voided")
    today = timezone.localdate()
    if inspected_on > today:
        raise ValidationError(_("督查日期不能晚于今天。"), code="future_date")
    if inspected_on < timezone.localdate(item.draw.drawn_at):
        raise ValidationError(_("督查日期不能早于抽查日期。"), code="before_draw")
    findings = (findings or "").strip()
    if not findings and not no_problem:
        raise ValidationError(
            _("请填写督查发现的问题，或勾选“未发现问题”。"), code="findings_required"
        )
    inspection, _created = Inspection.objects.update_or_create(
        item=item,
        defaults={
            "inspector": inspector,
            "inspected_on": inspected_on,
            "findings": findings,
            "no_problem": no_problem and not findings,
        },
    )
    return inspection


# --- rectification ---------------------------------------------------------------------------
def rectification_responsible_side(user: User, item: RectificationItem) -> bool:
    """The responsible person, a coordinator of the responsible unit, or the staff of the
    village's township: those who do the work and submit an item for closing. Reviewers judge
    it; they may add evidence (from a follow-up visit) but do not submit."""
    if item.responsible_person_id == user.id:
        return True
    if user.role == Role.COORDINATOR and item.responsible_unit_id == user.unit_id:
        return True
    if user.role == Role.TOWNSHIP_STAFF:
        return scope_of(user).covers(item.village.path)
    return False


def rectification_create(
    *,
    created_by: User,
    village: Village,
    problem: str,
    task: str,
    deadline: datetime.date,
    inspection: Inspection | None = None,
    household: Household | None = None,
    responsible_unit: Unit | None = None,
    responsible_person: User | None = None,
) -> RectificationItem:
    """A line of the problem, task and responsibility lists, usually from an inspection."""
    if inspection is not None:
        _require_reviewer_for(created_by, inspection.item.draw.region)
        village = inspection.item.village
        household = household or inspection.item.household
    elif not (
        created_by.is_reviewer
        and Village.objects.visible_to(created_by).filter(pk=village.pk).exists()
    ):
        raise Http404
    problem, task = (problem or "").strip(), (task or "").strip()
    errors: dict[str, str] = {}
    if not problem:
        errors["problem"] = _("请填写问题。")
    if not task:
        errors["task"] = _("请填写整改任务。")
    if responsible_unit is None and responsible_person is None:
        errors["responsible_person"] = _("请指定责任单位或责任人。")
    if deadline < timezone.localdate():
        errors["deadline"] = _("整改时限不能早于今天。")
    if household is not None and household.village_id != village.pk:
        errors["household"] = _("该户不属于此村。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = RectificationItem.objects.create(
            inspection=inspection,
            village=village,
            household=household,
            problem=problem,
            task=task,
            responsible_unit=responsible_unit,
            responsible_person=responsible_person,
            deadline=deadline,
            created_by=created_by,
        )
        RectificationLog.objects.create(
            item=item, action=RectificationLog.Action.CREATED, user=created_by
        )
    return item


ALLOWED_EVIDENCE = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "MPO": "jpg"}


def _evidence_kind(upload: File[bytes]) -> str:
    """The file's real type by its content (not its name): an image or a PDF, or a clear error."""
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return "pdf"
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # A small file that claims an enormous picture (a decompression bomb): refused next to
        # the file field, as a visit photo is, instead of a server error.
        raise ValidationError(
            {"file": [_("图片“%(name)s”的像素尺寸过大，请压缩后再上传。") % {"name": upload.name}]},
            code="evidence_too_large",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        image_format = None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_EVIDENCE:
        raise ValidationError(
            _("文件“%(name)s”不是 JPG、PNG、WEBP 图片或 PDF 文件，不能作为佐证材料。")
            % {"name": upload.name},
            code="bad_evidence_type",
        )
    return ALLOWED_EVIDENCE[image_format]


def _evidence_reencode(upload: File[bytes]) -> tuple[bytes, str]:
    """An evidence image re-encoded as a visit photo is (households.services.photo_reencode:
    EXIF with the location and anything appended after the picture are dropped), and the
    extension of the format it was written in. A PDF is kept as it is (typed by content)."""
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            return photo_reencode(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # It passed verify() but its picture cannot be decoded (e.g. cut short).
        raise ValidationError(
            _("文件“%(name)s”不是 JPG、PNG、WEBP 图片或 PDF 文件，不能作为佐证材料。")
            % {"name": upload.name},
            code="bad_evidence_type",
        ) from exc
    finally:
        upload.seek(0)


EVIDENCE_NAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def evidence_name(uploaded: str, suffix: str) -> str:
    """The uploader's file name as pages and downloads show it: without any folder, control or
    reserved characters, at most 80 characters before the extension, and with the extension of
    the stored content (an image may have been re-encoded)."""
    base = uploaded.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = EVIDENCE_NAME_UNSAFE.sub("_", stem).strip(" ._")[:80].strip(" ._")
    return f"{stem or _('佐证材料')}.{suffix}"


def rectification_evidence_add(
    *, item: RectificationItem, user: User, upload: File[bytes], note: str = ""
) -> RectificationEvidence:
    _ensure_item_visible(user, item)
    if not (rectification_responsible_side(user, item) or user.is_reviewer):
        raise PermissionDenied(_("只有责任人、责任单位、所在乡镇或审核人员可以上传整改佐证。"))
    if item.status == RectificationStatus.CLOSED:
        raise ValidationError(_("该事项已销号，不能再上传佐证。"), code="closed")
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("文件“%(name)s”超过 %(mb)d MB，请压缩后再上传。")
            % {"name": upload.name, "mb": limit // (1024 * 1024)},
            code="evidence_too_large",
        )
    suffix = _evidence_kind(upload)
    name = upload.name
    assert name is not None  # an uploaded file always carries the name it was sent with
    stored: File[bytes] = upload
    if suffix != "pdf":
        content, suffix = _evidence_reencode(upload)
        stored = ContentFile(content)
    stored.name = f"evidence.{suffix}"  # evidence_path names the stored file from its content
    with transaction.atomic():
        evidence = RectificationEvidence.objects.create(
            item=item,
            file=stored,
            original_name=evidence_name(name, suffix),
            note=(note or "").strip()[:200],
            uploaded_by=user,
        )
        RectificationLog.objects.create(
            item=item, action=RectificationLog.Action.EVIDENCE, user=user, note=evidence.note
        )
    return evidence


def _transition(item: RectificationItem, allowed_from: set[str], **changes: Any) -> bool:
    """A conditional UPDATE: two people pressing the same button change the item once."""
    return bool(
        RectificationItem.objects.filter(pk=item.pk, status__in=allowed_from).update(**changes)
    )


def rectification_submit(
    *, item: RectificationItem, user: User, note: str = ""
) -> RectificationItem:
    """The responsible side says the task is done and asks for closing (提交销号)."""
    _ensure_item_visible(user, item)
    if not rectification_responsible_side(user, item):
        raise PermissionDenied(_("只有责任人、责任单位或所在乡镇可以提交销号。"))
    if not item.evidence.exists():
        raise ValidationError(_("提交销号前请先上传整改佐证材料。"), code="evidence_required")
    with transaction.atomic():
        if not _transition(
            item,
            {RectificationStatus.OPEN, RectificationStatus.REOPENED},
            status=RectificationStatus.SUBMITTED,
            submitted_at=timezone.now(),
        ):
            raise ValidationError(_("该事项当前状态不能提交销号。"), code="bad_status")
        RectificationLog.objects.create(
            item=item, action=RectificationLog.Action.SUBMITTED, user=user, note=note[:300]
        )
    item.refresh_from_db()
    return item


def rectification_close(
    *, item: RectificationItem, user: User, closed_on: datetime.date | None = None, note: str = ""
) -> RectificationItem:
    """Close an item (销号): a reviewer, never the person responsible for it (the second person)."""
    _ensure_item_visible(user, item)
    if not user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以销号。"))
    if item.responsible_person_id == user.id:
        raise PermissionDenied(_("责任人不能为自己负责的事项销号，须由另一名审核人员销号。"))
    closed_on = closed_on or timezone.localdate()
    if closed_on > timezone.localdate():
        raise ValidationError(_("销号日期不能晚于今天。"), code="future_date")
    with transaction.atomic():
        if not _transition(
            item,
            {RectificationStatus.SUBMITTED},
            status=RectificationStatus.CLOSED,
            closed_on=closed_on,
            closed_by=user,
        ):
            raise ValidationError(_("只有已提交销号的事项才能销号。"), code="bad_status")
        RectificationLog.objects.create(
            item=item, action=RectificationLog.Action.CLOSED, user=user, note=note[:300]
        )
    item.refresh_from_db()
    return item


def rectification_reopen(*, item: RectificationItem, user: User, reason: str) -> RectificationItem:
    """Send a submitted or closed item back for more work, with the reason."""
    _ensure_item_visible(user, item)
    if not user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以退回整改。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("退回重新整改必须填写原因。"), code="reason_required")
    with transaction.atomic():
        if not _transition(
            item,
            {RectificationStatus.SUBMITTED, RectificationStatus.CLOSED},
            status=RectificationStatus.REOPENED,
            closed_on=None,
            closed_by=None,
            submitted_at=None,
        ):
            raise ValidationError(_("该事项当前状态不能退回。"), code="bad_status")
        RectificationLog.objects.create(
            item=item, action=RectificationLog.Action.REOPENED, user=user, note=reason[:300]
        )
    item.refresh_from_db()
    return item
