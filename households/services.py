"""Writes for households and visits. The browser form and the API endpoint both call these, so
the rules (scope, credited visits, duplicates, the edit window) cannot drift apart.

A visit counts toward the indicators only when it is credible (issue #3, "Credited visits"):
- its date is not in the future (refused outright) and not before the household's pairing began;
- at most one visit per helper, household and day counts (a database constraint holds it);
- a photo whose EXIF capture time is more than a day from the visit date, or coordinates
  farther than VISIT_MAX_DISTANCE_METRES from the village, hold the visit for a reviewer.
"""

from __future__ import annotations

import datetime
import io
import math
import uuid
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.Image import Exif

from cadres.models import Cadre
from core.permissions import can_edit_entry, entry_author_cadre, records_own_entries
from core.scope import Role
from households.models import (
    CreditStatus,
    Household,
    HouseholdPairing,
    Measure,
    PairingRule,
    Visit,
    VisitKind,
    VisitPhoto,
)
from pairing.models import Pairing
from villages.models import Village

if TYPE_CHECKING:
    from accounts.models import User
    from pairing.models import Unit

    # The models whose rows a write may name; each manager has `visible_to(user)`.
    _ScopedModel: TypeAlias = (
        type[Household]
        | type[Village]
        | type[Pairing]
        | type[Cadre]
        | type[Visit]
        | type[HouseholdPairing]
    )

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}
EXIF_DATETIME_ORIGINAL = 36867
EXIF_DATETIME = 306
EXIF_IFD = 0x8769


def _ensure_visible(
    model: _ScopedModel,
    user: User,
    obj: Household | Village | Pairing | Cadre | Visit | HouseholdPairing | None,
) -> None:
    """A write outside the user's scope changes nothing: it is answered as 'not found'."""
    if obj is None:
        return
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise Http404


@dataclass
class CheckedPhoto:
    upload: object
    taken_at: datetime.datetime | None


# The stored format of each accepted format and the extension the product names it with: a
# photo is re-encoded on upload, so what is stored is only the picture (no appended bytes, no
# EXIF block with the location) under a name chosen from its content, never the uploader's.
STORED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "HEIF": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
}


def photo_reencode(image: Image.Image) -> tuple[bytes, str]:
    """The picture of an opened image re-encoded by Pillow (EXIF orientation applied, EXIF and
    any trailing bytes dropped), and the extension of the format it was written in."""
    image_format, suffix = STORED_FORMATS.get(image.format or "", ("JPEG", "jpg"))
    picture = ImageOps.exif_transpose(image)
    if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif image_format == "WEBP" and picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    options: dict[str, Any] = {}
    icc = image.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = 90
    elif image_format == "PNG" and "transparency" in picture.info:
        options["transparency"] = picture.info["transparency"]
    # Nothing of the original's metadata (EXIF, XMP: the location) may be written back.
    picture.info = {}
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    return buffer.getvalue(), suffix


def photo_check(upload: File[bytes], *, reencode: bool = True) -> CheckedPhoto:
    """An uploaded photo: an image, within the size limit, with its EXIF capture time if any
    (read before re-encoding drops the EXIF block). With `reencode` the returned upload is the
    re-encoded picture named from its content (`photo.jpg`, `.png`, `.webp`)."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("照片“%(name)s”超过 %(mb)d MB，请压缩后再上传。")
            % {"name": upload.name, "mb": limit // (1024 * 1024)},
            code="photo_too_large",
        )
    stored: object = upload
    try:
        # verify() must come straight after open (PNG refuses it once getexif() has read the
        # file), so the file is opened again to read the EXIF block and to re-encode.
        upload.seek(0)
        with warnings.catch_warnings():
            # Past Pillow's pixel limit it only warns (an error from twice the limit): both
            # are refused, before anything is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
        if image_format not in ALLOWED_IMAGE_FORMATS:
            raise ValidationError(
                _("文件“%(name)s”的格式（%(fmt)s）不受支持，只能上传 JPG、PNG 或 WEBP 照片。")
                % {"name": upload.name, "fmt": image_format},
                code="bad_image_format",
            )
        upload.seek(0)
        with Image.open(upload) as image:
            exif = image.getexif()
            taken_at = _exif_taken_at(exif)
            if reencode:
                content, suffix = photo_reencode(image)
                stored = ContentFile(content, name=f"photo.{suffix}")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("照片“%(name)s”的像素尺寸过大，请压缩后再上传。") % {"name": upload.name},
            code="photo_too_large",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("文件“%(name)s”不是有效的图片，只能上传 JPG、PNG 或 WEBP 照片。")
            % {"name": upload.name},
            code="not_an_image",
        ) from exc
    finally:
        upload.seek(0)
    return CheckedPhoto(upload=stored, taken_at=taken_at)


def _exif_taken_at(exif: Exif) -> datetime.datetime | None:
    raw = None
    try:
        raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    except Exception:  # a malformed EXIF block is no reason to refuse the photo
        return None
    if not raw:
        return None
    try:
        naive = datetime.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    # Cameras record local time without a zone; the product's users are in China.
    return timezone.make_aware(naive, timezone.get_default_timezone())


def distance_metres(
    lat1: Decimal | float, lon1: Decimal | float, lat2: Decimal | float, lon2: Decimal | float
) -> float:
    """Great-circle distance (haversine) between two points given in degrees."""
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (lat1, lon1, lat2, lon2))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


@dataclass
class Credit:
    status: str = CreditStatus.CREDITED
    reasons: list[str] = field(default_factory=list)

    def hold(self, reason: str) -> None:
        if self.status == CreditStatus.CREDITED:
            self.status = CreditStatus.REVIEW
        self.reasons.append(reason)

    def refuse(self, reason: str) -> None:
        self.status = CreditStatus.NOT_COUNTED
        self.reasons.append(reason)


def pairing_verdict(
    pairings: list[HouseholdPairing], helper_id: int, visited_on: datetime.date
) -> tuple[HouseholdPairing | None, str, str]:
    """The pairing rule, the one place it is written: a household visit counts only when the
    visiting helper had a pairing with the household in force on the visit date (its start and
    end day included). `pairings` are the household's pairings. Returns the pairing in force (or
    None), the PairingRule that kept the visit out (or "") and the reason in Chinese."""
    own = [p for p in pairings if p.helper_id == helper_id]
    for pairing in sorted(own, key=lambda p: (p.start_date, p.pk or 0)):
        if pairing.start_date <= visited_on and (
            pairing.end_date is None or visited_on <= pairing.end_date
        ):
            return pairing, "", ""
    if not own:
        return None, PairingRule.NOT_PAIRED, _("走访人未与该户结对，走访不计入考核。")
    ended = [p.end_date for p in own if p.end_date is not None and p.end_date < visited_on]
    if ended:
        return (
            None,
            PairingRule.AFTER_END,
            _("走访日期晚于走访人与该户结对的解除日期（%(end)s），不计入考核。")
            % {"end": max(ended).isoformat()},
        )
    first = min(p.start_date for p in own)
    return (
        None,
        PairingRule.BEFORE_START,
        _("走访日期早于走访人与该户结对的开始日期（%(start)s），不计入考核。")
        % {"start": first.isoformat()},
    )


def visit_credit(
    *,
    household: Household | None,
    village: Village,
    helper: Cadre,
    visited_on: datetime.date,
    photos: list[CheckedPhoto],
    latitude: Decimal | None,
    longitude: Decimal | None,
    exclude_visit_id: int | None = None,
) -> tuple[Credit, HouseholdPairing | None, str]:
    """Decide whether a visit counts, the household pairing it is attributed to and the
    PairingRule that kept it out ("" when none did)."""
    credit = Credit()
    pairing = None
    rule = ""
    if household is not None:
        pairing, rule, reason = pairing_verdict(
            list(HouseholdPairing.objects.filter(household=household)), helper.pk, visited_on
        )
        if rule:
            credit.refuse(reason)
        else:
            duplicate = Visit.objects.counted().filter(
                household=household, helper=helper, visited_on=visited_on
            )
            if exclude_visit_id:
                duplicate = duplicate.exclude(pk=exclude_visit_id)
            if duplicate.exists():
                rule = PairingRule.DUPLICATE
                credit.refuse(str(DUPLICATE_REASON))
    for photo in photos:
        if photo.taken_at is not None:
            taken_day = timezone.localtime(photo.taken_at).date()
            if abs((taken_day - visited_on).days) > 1:
                credit.hold(
                    _("照片拍摄时间（%(taken)s）与走访日期相差超过1天。")
                    % {"taken": timezone.localtime(photo.taken_at).strftime("%Y-%m-%d %H:%M")}
                )
    if (
        latitude is not None
        and longitude is not None
        and village.latitude is not None
        and village.longitude is not None
    ):
        metres = distance_metres(latitude, longitude, village.latitude, village.longitude)
        if metres > settings.VISIT_MAX_DISTANCE_METRES:
            credit.hold(
                _("定位距村约 %(km).1f 公里，超出 %(limit).1f 公里范围。")
                % {"km": metres / 1000, "limit": settings.VISIT_MAX_DISTANCE_METRES / 1000}
            )
    return credit, pairing, rule


def stored_visit_credit(visit: Visit) -> tuple[Credit, HouseholdPairing | None, str]:
    """`visit_credit` for a visit already saved: its photos' capture times, its coordinates,
    and itself left out of the one-a-day check."""
    photos = [CheckedPhoto(upload=None, taken_at=p.taken_at) for p in visit.photos.all()]
    return visit_credit(
        household=visit.household,
        village=visit.village,
        helper=visit.helper,
        visited_on=visit.visited_on,
        photos=photos,
        latitude=visit.latitude,
        longitude=visit.longitude,
        exclude_visit_id=visit.pk,
    )


def helpers_for(household: Household, on: datetime.date) -> QuerySet[Cadre]:

    ids = HouseholdPairing.objects.filter(household=household).in_force(on).values("helper_id")
    return Cadre.objects.filter(id__in=ids)


COORDINATE_STEP = Decimal("0.000001")


def _check_coordinates(
    latitude: Decimal | None,
    longitude: Decimal | None,
    errors: dict[str, list[str]],
) -> tuple[Decimal | None, Decimal | None]:
    """Both or neither, within range, rounded to the column's six decimals (about 0.1 m; a
    browser reports fifteen)."""
    if (latitude is None) != (longitude is None):
        field_name = "longitude" if latitude is not None else "latitude"
        errors.setdefault(field_name, []).append(_("请同时填写经度和纬度，或都不填。"))
        return latitude, longitude
    if latitude is None:
        return None, None
    try:
        latitude = Decimal(str(latitude)).quantize(COORDINATE_STEP)
        longitude = Decimal(str(longitude)).quantize(COORDINATE_STEP)
        if not (latitude.is_finite() and longitude.is_finite()):
            raise ValueError
    except (ArithmeticError, ValueError):
        errors.setdefault("latitude", []).append(_("经纬度应为数字。"))
        return None, None
    if not (-90 <= latitude <= 90):
        errors.setdefault("latitude", []).append(_("纬度应在 -90 到 90 之间。"))
    if not (-180 <= longitude <= 180):
        errors.setdefault("longitude", []).append(_("经度应在 -180 到 180 之间。"))
    return latitude, longitude


def _check_date(visited_on: datetime.date | None, errors: dict[str, list[str]]) -> None:
    if visited_on is None:
        errors.setdefault("visited_on", []).append(_("请填写走访日期。"))
    elif visited_on > timezone.localdate():
        errors.setdefault("visited_on", []).append(_("走访日期不能晚于今天。"))
    elif visited_on < datetime.date(2000, 1, 1):
        errors.setdefault("visited_on", []).append(_("走访日期不合理。"))


def _check_measure(
    user: User,
    measure: Measure | None,
    household: Household | None,
    errors: dict[str, list[str]],
) -> None:
    if measure is None:
        return
    if (
        household is None
        or measure.plan.household_id != household.id
        or not Measure.objects.visible_to(user).filter(pk=measure.pk).exists()
    ):
        errors.setdefault("measure", []).append(_("所选帮扶措施不属于该户的一户一策。"))


def _token_owner_check(existing: Visit, user: User) -> Visit:
    if existing.created_by_id != user.id:
        raise ValidationError({"submission_token": _("提交标识已被使用。")})
    return existing


DUPLICATE_REASON = gettext_lazy("同一帮扶责任人当天对该户已有一次计入考核的走访，本次不重复计入。")


def visit_record(
    *,
    user: User,
    household: Household | None = None,
    village: Village | None = None,
    helper: Cadre | None = None,
    visited_on: datetime.date | None = None,
    kind: str = VisitKind.HOME,
    learned: str,
    problems: str = "",
    measure: Measure | None = None,
    photos: list[File[bytes]] | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    org_pairing: Pairing | None = None,
    submission_token: uuid.UUID | None = None,
) -> Visit:
    """Record a visit in one step. Raises ValidationError (with field names) for bad input,
    Http404 for anything outside the user's scope, PermissionDenied for a role that may not
    enter visits. A repeated submission token returns the visit the first submission made."""

    if not user.can_enter_work:
        raise PermissionDenied(_("您的角色不能填报走访记录。"))
    if submission_token:
        existing = Visit.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return _token_owner_check(existing, user)
    visited_on = visited_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if household is None and village is None:
        errors.setdefault("household", []).append(_("请选择走访的贫困户（或村）。"))
    _ensure_visible(Household, user, household)
    if household is not None:
        village = household.village
    _ensure_visible(Village, user, village)
    _ensure_visible(Pairing, user, org_pairing)
    _check_date(visited_on, errors)
    if kind not in VisitKind.values:
        errors.setdefault("kind", []).append(_("请选择走访方式。"))
    if not (learned or "").strip():
        errors.setdefault("learned", []).append(_("请填写了解的情况和帮扶内容。"))

    helper = entry_author_cadre(user, helper)
    if helper is None and household is not None:
        helper = helpers_for(household, visited_on).order_by("id").first()
    if helper is None:
        errors.setdefault("helper", []).append(
            _("请选择走访人（该户在走访日期没有结对的帮扶责任人）。")
        )
    elif (
        not records_own_entries(user)
        and not Cadre.objects.visible_to(user).filter(pk=helper.pk).exists()
    ):
        errors.setdefault("helper", []).append(_("走访人不在您的管辖范围内。"))
    _check_measure(user, measure, household, errors)

    checked: list[CheckedPhoto] = []
    for upload in photos or []:
        try:
            checked.append(photo_check(upload))
        except ValidationError as exc:
            errors.setdefault("photos", []).extend(exc.messages)
    latitude, longitude = _check_coordinates(latitude, longitude, errors)
    if errors:
        raise ValidationError(errors)
    # Without a village (no household, no village) or a helper, `errors` was not empty.
    assert village is not None and helper is not None

    credit, pairing, rule = visit_credit(
        household=household,
        village=village,
        helper=helper,
        visited_on=visited_on,
        photos=checked,
        latitude=latitude,
        longitude=longitude,
    )
    visit = Visit(
        household=household,
        village=village,
        helper=helper,
        household_pairing=pairing,
        org_pairing=org_pairing,
        kind=kind,
        visited_on=visited_on,
        learned=learned.strip(),
        problems=(problems or "").strip(),
        measure=measure,
        latitude=latitude,
        longitude=longitude,
        credit_status=credit.status,
        credit_reason="".join(credit.reasons)[:300],
        pairing_rule=rule,
        submission_token=submission_token,
        created_by=user,
    )
    try:
        _save_with_photos(visit, checked)
    except IntegrityError:
        # Two submissions raced: the token or the one-credited-visit-a-day constraint caught it.
        if submission_token:
            existing = Visit.objects.filter(submission_token=submission_token).first()
            if existing is not None:
                return _token_owner_check(existing, user)
        if visit.credit_status != CreditStatus.CREDITED:
            raise
        visit.pk = None
        visit.credit_status = CreditStatus.NOT_COUNTED
        visit.pairing_rule = PairingRule.DUPLICATE
        visit.credit_reason = (str(DUPLICATE_REASON) + visit.credit_reason)[:300]
        _save_with_photos(visit, checked)
    return visit


def _save_with_photos(visit: Visit, checked: list[CheckedPhoto]) -> None:
    with transaction.atomic():
        visit.save()
        for photo in checked:
            VisitPhoto.objects.create(visit=visit, image=photo.upload, taken_at=photo.taken_at)


VISIT_EDITABLE_FIELDS = {
    "visited_on",
    "kind",
    "learned",
    "problems",
    "measure",
    "latitude",
    "longitude",
}
# Changing one of these can change whether the visit counts, so its credit is decided afresh.
CREDIT_FIELDS = {"visited_on", "latitude", "longitude"}


def visit_update(*, user: User, visit: Visit, **changes: Any) -> Visit:
    """Change a visit within the edit window (or as a reviewer). When the date or the place
    changes, credit is decided afresh (a visit a reviewer refused stays refused); otherwise
    the visit keeps its credit, including a reviewer's acceptance."""
    _ensure_visible(Visit, user, visit)
    if not can_edit_entry(user, visit):
        raise PermissionDenied(_("已超过修改期限，只有审核人员可以修改此记录。"))
    unknown = set(changes) - VISIT_EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("该字段不能修改。")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    new = {name: changes.get(name, getattr(visit, name)) for name in VISIT_EDITABLE_FIELDS}
    _check_date(new["visited_on"], errors)
    if new["kind"] not in VisitKind.values:
        errors.setdefault("kind", []).append(_("请选择走访方式。"))
    if not (new["learned"] or "").strip():
        errors.setdefault("learned", []).append(_("请填写了解的情况和帮扶内容。"))
    _check_measure(user, new["measure"], visit.household, errors)
    new["latitude"], new["longitude"] = _check_coordinates(
        new["latitude"], new["longitude"], errors
    )
    if errors:
        raise ValidationError(errors)
    credit_changed = any(new[name] != getattr(visit, name) for name in CREDIT_FIELDS)
    new["learned"] = new["learned"].strip()
    new["problems"] = (new["problems"] or "").strip()
    for name, value in new.items():
        setattr(visit, name, value)
    if credit_changed:
        credit, pairing, rule = stored_visit_credit(visit)
        if not (
            visit.credit_status == CreditStatus.REJECTED and credit.status == CreditStatus.CREDITED
        ):
            visit.credit_status = credit.status
            visit.credit_reason = "".join(credit.reasons)[:300]
            visit.reviewed_by = None
            visit.reviewed_at = None
        visit.household_pairing = pairing
        visit.pairing_rule = rule
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        visit.refresh_from_db()
        raise ValidationError({"visited_on": [str(DUPLICATE_REASON)]}) from exc
    return visit


def visit_delete(*, user: User, visit: Visit) -> None:
    _ensure_visible(Visit, user, visit)
    if not can_edit_entry(user, visit):
        raise PermissionDenied(_("已超过删除期限，只有审核人员可以删除此记录。"))
    visit.delete()


def visit_review(*, user: User, visit: Visit, accept: bool, note: str = "") -> Visit:
    """A reviewer accepts a held visit (it then counts) or refuses it (it never counts)."""
    _ensure_visible(Visit, user, visit)
    if not user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以审核走访记录。"))
    if visit.credit_status not in (
        CreditStatus.REVIEW,
        CreditStatus.REJECTED,
        CreditStatus.CREDITED,
    ):
        raise ValidationError(_("此走访不在待审核状态。"))
    note = (note or "").strip()
    suffix = (_("审核意见：%(note)s") % {"note": note}) if note else ""
    visit.reviewed_by = user
    visit.reviewed_at = timezone.now()
    visit.credit_status = CreditStatus.CREDITED if accept else CreditStatus.REJECTED
    visit.credit_reason = (visit.credit_reason + suffix)[:300]
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as exc:
        visit.refresh_from_db()
        raise ValidationError(
            _("该帮扶责任人当天对该户已有一次计入考核的走访，不能重复计入。")
        ) from exc
    return visit


# --- household pairings (结对帮扶) and the visits they decide --------------------------------
PAIRING_RULES_OUT = {PairingRule.BEFORE_START, PairingRule.AFTER_END, PairingRule.NOT_PAIRED}
PAIRING_FIELDS = {"helper", "unit", "start_date", "end_date"}


def visits_recredit(*, household_id: int, helper_ids: set[int] | None = None) -> int:
    """Apply the pairing rule again to a household's visits (by these helpers) after one of its
    pairings changed: a handover entered late, dates corrected, a pairing removed. Runs in the
    caller's transaction. A reviewer's refusal stands; photo and distance holds are decided
    again only for visits the pairing rule had kept out. Returns how many visits changed."""
    pairings = list(HouseholdPairing.objects.filter(household_id=household_id))
    visits = (
        Visit.objects.select_for_update()
        .filter(household_id=household_id)
        .exclude(credit_status=CreditStatus.REJECTED)
        .select_related("village", "helper")
        .order_by("visited_on", "id")
    )
    if helper_ids is not None:
        visits = visits.filter(helper_id__in=helper_ids)
    changed = 0
    for visit in visits:
        pairing, rule, reason = pairing_verdict(pairings, visit.helper_id, visit.visited_on)
        if rule:
            if visit.pairing_rule == rule and visit.credit_status == CreditStatus.NOT_COUNTED:
                continue
            visit.credit_status = CreditStatus.NOT_COUNTED
            visit.credit_reason = reason[:300]
            visit.pairing_rule = rule
            visit.household_pairing = None
        elif visit.pairing_rule in PAIRING_RULES_OUT or visit.pairing_rule == PairingRule.DUPLICATE:
            credit, pairing, rule = stored_visit_credit(visit)
            if credit.status == visit.credit_status and rule == visit.pairing_rule:
                continue
            visit.credit_status = credit.status
            visit.credit_reason = "".join(credit.reasons)[:300]
            visit.pairing_rule = rule
            visit.household_pairing = pairing
        elif pairing is not None and visit.household_pairing_id != pairing.pk:
            # (`pairing` is never None here: pairing_verdict gives an empty rule only with the
            # pairing in force.)
            visit.household_pairing = pairing
        else:
            continue
        visit.save(
            update_fields=[
                "credit_status",
                "credit_reason",
                "pairing_rule",
                "household_pairing",
                "updated_at",
            ]
        )
        changed += 1
    return changed


def _may_keep_pairings(user: User) -> None:

    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied
    if not (user.is_superuser or user.role in (Role.ADMIN, Role.REVIEWER, Role.TOWNSHIP_STAFF)):
        raise PermissionDenied(_("您的角色不能调整结对帮扶关系。"))


def _check_pairing(pairing: HouseholdPairing, errors: dict[str, list[str]]) -> None:
    if pairing.start_date is None:
        errors.setdefault("start_date", []).append(_("请填写结对日期。"))
    elif pairing.end_date is not None and pairing.end_date < pairing.start_date:
        errors.setdefault("end_date", []).append(_("解除日期不能早于结对日期。"))
    if pairing.start_date is not None:
        overlapping = (
            HouseholdPairing.objects.filter(
                household_id=pairing.household_id, helper_id=pairing.helper_id
            )
            .overlapping(pairing.start_date, pairing.end_date or datetime.date.max)
            .exclude(pk=pairing.pk)
        )
        if overlapping.exists():
            errors.setdefault("start_date", []).append(
                _("该帮扶责任人与该户在这段时间已有结对记录。")
            )


def _save_pairing(pairing: HouseholdPairing, touched_helpers: set[int]) -> HouseholdPairing:
    errors: dict[str, list[str]] = {}
    _check_pairing(pairing, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pairing.save()
        visits_recredit(household_id=pairing.household_id, helper_ids=touched_helpers)
    return pairing


def household_pairing_record(
    *,
    user: User,
    household: Household,
    helper: Cadre,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    unit: Unit | None = None,
) -> HouseholdPairing:
    """Pair a helper with a household from `start_date` (to `end_date`); the helper's visits
    to the household in that span are counted from now on, in the same transaction."""

    _may_keep_pairings(user)
    _ensure_visible(Household, user, household)
    _ensure_visible(Cadre, user, helper)
    pairing = HouseholdPairing(
        household=household,
        helper=helper,
        unit=unit if unit is not None else helper.unit,
        start_date=start_date,
        end_date=end_date,
    )
    return _save_pairing(pairing, {helper.pk})


def household_pairing_update(
    *, user: User, pairing: HouseholdPairing, **changes: Any
) -> HouseholdPairing:
    """Correct a pairing's helper, unit or dates, or end it (`end_date`); the visits the change
    touches (of the old and the new helper) are decided again in the same transaction."""
    _may_keep_pairings(user)
    _ensure_visible(HouseholdPairing, user, pairing)
    unknown = set(changes) - PAIRING_FIELDS
    if unknown:
        raise ValidationError({name: [_("该字段不能修改。")] for name in sorted(unknown)})
    touched = {pairing.helper_id}
    for name, value in changes.items():
        setattr(pairing, name, value)
    touched.add(pairing.helper_id)
    return _save_pairing(pairing, touched)


def household_pairing_delete(*, user: User, pairing: HouseholdPairing) -> None:
    """Remove a pairing entered by mistake (ending one is `household_pairing_update` with an
    end date); its visits are decided again without it."""
    _may_keep_pairings(user)
    _ensure_visible(HouseholdPairing, user, pairing)
    with transaction.atomic():
        household_id, helper_id = pairing.household_id, pairing.helper_id
        pairing.delete()
        visits_recredit(household_id=household_id, helper_ids={helper_id})
