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
from core.existing import existing_record
from core.idcard import normalise_id_number
from core.kept import (
    kept_apply,
    kept_delete,
    kept_ensure_visible,
    kept_require,
    kept_save,
    references,
)
from core.permissions import can_edit_entry, entry_author_cadre, records_own_entries
from core.scope import Role, scope_of
from households import duplicates
from households.models import (
    CreditStatus,
    Household,
    HouseholdPairing,
    HouseholdPairingQuerySet,
    IncomeRecord,
    Measure,
    MeasureStatus,
    Member,
    PairingRule,
    Plan,
    PovertyStatus,
    Visit,
    VisitKind,
    VisitPhoto,
)
from pairing.models import Pairing, Unit
from periods.rules import visit_is_locked
from villages.models import Village

if TYPE_CHECKING:
    from accounts.models import User

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
        reason = photo_time_hold(photo.taken_at, visited_on)
        if reason:
            credit.hold(reason)
    reason = distance_hold(latitude, longitude, village)
    if reason:
        credit.hold(reason)
    return credit, pairing, rule


# The two reasons a visit is held for a reviewer (the review queue filters by them).
HOLD_PHOTO_TIME = "photo_time"
HOLD_DISTANCE = "distance"
HOLD_REASONS = [
    (HOLD_PHOTO_TIME, gettext_lazy("照片时间不符")),
    (HOLD_DISTANCE, gettext_lazy("定位距村过远")),
]


def photo_time_hold(taken_at: datetime.datetime | None, visited_on: datetime.date) -> str:
    """Why a photo holds its visit (capture time more than a day from the visit date), or ""."""
    if taken_at is None:
        return ""
    taken_day = timezone.localtime(taken_at).date()
    if abs((taken_day - visited_on).days) <= 1:
        return ""
    return _("照片拍摄时间（%(taken)s）与走访日期相差超过1天。") % {
        "taken": timezone.localtime(taken_at).strftime("%Y-%m-%d %H:%M")
    }


def distance_hold(latitude: Decimal | None, longitude: Decimal | None, village: Village) -> str:
    """Why the coordinates hold the visit (farther than VISIT_MAX_DISTANCE_METRES from the
    village), or ""."""
    if latitude is None or longitude is None or village.latitude is None:
        return ""
    if village.longitude is None:
        return ""
    metres = distance_metres(latitude, longitude, village.latitude, village.longitude)
    if metres <= settings.VISIT_MAX_DISTANCE_METRES:
        return ""
    return _("定位距村约 %(km).1f 公里，超出 %(limit).1f 公里范围。") % {
        "km": metres / 1000,
        "limit": settings.VISIT_MAX_DISTANCE_METRES / 1000,
    }


def visit_hold_reasons(visit: Visit) -> set[str]:
    """The HOLD_REASONS keys that hold a saved visit: the same two checks as visit_credit, on
    its photos (prefetched) and coordinates."""
    keys = set()
    if any(photo_time_hold(p.taken_at, visit.visited_on) for p in visit.photos.all()):
        keys.add(HOLD_PHOTO_TIME)
    if distance_hold(visit.latitude, visit.longitude, visit.village):
        keys.add(HOLD_DISTANCE)
    return keys


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
    measure_done: bool = False,
) -> Visit:
    """Record a visit in one step. Raises ValidationError (with field names) for bad input,
    Http404 for anything outside the user's scope, PermissionDenied for a role that may not
    enter visits. A repeated submission token returns the visit the first submission made.
    A visit that names a measure of the household's plan (一户一策) with `measure_done` marks
    that measure done on the visit's date, in the visit's transaction."""

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
        # A helper paired with the household (which is in scope: checked above) is in scope
        # (UserScope.extra_cadre); only another helper needs the whole cadre scope.
        and not (
            household is not None
            and HouseholdPairing.objects.filter(household=household, helper=helper).exists()
        )
        and not Cadre.objects.visible_to(user).filter(pk=helper.pk).exists()
    ):
        errors.setdefault("helper", []).append(_("走访人不在您的管辖范围内。"))
    _check_measure(user, measure, household, errors)
    _check_measure_done(measure, measure_done, errors)

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
    done = measure if measure_done else None
    try:
        _save_with_photos(visit, checked, done)
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
        _save_with_photos(visit, checked, done)
    return visit


def _check_measure_done(
    measure: Measure | None, measure_done: bool, errors: dict[str, list[str]]
) -> None:
    if measure_done and measure is None:
        errors.setdefault("measure_done", []).append(_("请先选择本次完成的帮扶措施。"))


def _measure_mark_done(measure: Measure, day: datetime.date) -> None:
    """A visit completed the measure: it is done on the visit's date (a measure already done
    keeps its own date)."""
    if measure.status == MeasureStatus.DONE:
        return
    measure.status = MeasureStatus.DONE
    measure.done_on = day
    measure.save(update_fields=["status", "done_on"])


def _save_with_photos(
    visit: Visit, checked: list[CheckedPhoto], done_measure: Measure | None = None
) -> None:
    with transaction.atomic():
        visit.save()
        for photo in checked:
            VisitPhoto.objects.create(visit=visit, image=photo.upload, taken_at=photo.taken_at)
        if done_measure is not None:
            _measure_mark_done(done_measure, visit.visited_on)


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
    measure_done = bool(changes.pop("measure_done", False))
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
    _check_measure_done(new["measure"], measure_done, errors)
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
            if measure_done and visit.measure is not None:
                _measure_mark_done(visit.measure, visit.visited_on)
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


def visits_review(*, user: User, visit_ids: list[int], accept: bool, note: str = "") -> int:
    """A reviewer decides a selection of visits at once with one reason: `visit_review` for
    each, in one transaction, all or nothing. A refusal needs the reason; a visit outside the
    reviewer's scope is a 404 and nothing is written. Returns how many visits were decided."""
    if not user.is_reviewer:
        raise PermissionDenied(_("只有审核人员可以审核走访记录。"))
    ids = sorted(set(visit_ids))
    if not ids:
        raise ValidationError({"visits": [_("请至少选择一条走访。")]})
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationError({"note": [_("不予计入须填写理由。")]})
    with transaction.atomic():
        visits = list(
            Visit.objects.visible_to(user).select_for_update().filter(pk__in=ids).order_by("id")
        )
        if len(visits) != len(ids):
            raise Http404
        for visit in visits:
            try:
                visit_review(user=user, visit=visit, accept=accept, note=note)
            except ValidationError as exc:
                raise ValidationError(
                    {
                        "visits": [
                            _("%(day)s %(who)s 的走访：%(why)s")
                            % {
                                "day": visit.visited_on.isoformat(),
                                "who": visit.household or visit.village,
                                "why": " ".join(exc.messages),
                            }
                        ]
                    }
                ) from exc
    return len(visits)


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
    locks: dict = {}
    for visit in visits:
        if visit_is_locked(visit, locks):
            continue  # a locked period's visits keep their credit (periods/rules.py)
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


# --- who keeps household pairings ---------------------------------------------------------------
@dataclass
class PairingKeeper:
    """Which household pairings a user may assign, hand over and end (`pairing_keeper`): the
    keeper's role (core.keepers "household_pairing") and, for a helping unit's coordinator, only
    their own unit's helpers with households in the villages the unit is paired with. Scope
    (404) is checked separately for every object a write names."""

    keeps: bool
    unit_id: int | None = None  # a coordinator's unit; None: no unit rule
    village_ids: frozenset[int] | None = None  # the villages that unit is paired with today

    def allows(self, *, helper_unit_id: int | None, village_id: int | None) -> bool:
        if not self.keeps:
            return False
        if self.unit_id is None:
            return True
        if helper_unit_id is not None and helper_unit_id != self.unit_id:
            return False
        return village_id is None or village_id in (self.village_ids or frozenset())

    def allows_pairing(self, pairing: HouseholdPairing) -> bool:
        return self.allows(
            helper_unit_id=pairing.helper.unit_id, village_id=pairing.household.village_id
        )


def pairing_keeper(user: User) -> PairingKeeper:
    """The rule, read once (one query for a coordinator, none for anyone else)."""
    keeps = may_keep_household_pairings(user)
    if not keeps or user.is_superuser or user.role != Role.COORDINATOR:
        return PairingKeeper(keeps=keeps)
    villages = frozenset(
        Village.objects.filter(id__in=scope_of(user).village_ids()).values_list("id", flat=True)
    )
    return PairingKeeper(keeps=True, unit_id=user.unit_id or -1, village_ids=villages)


def may_keep_household_pairings(user: User) -> bool:
    try:
        kept_require(user, "household_pairing")
    except PermissionDenied:
        return False
    return True


def pairing_keeper_require(
    user: User, *, helper: Cadre | None = None, household: Household | None = None
) -> None:
    """Refuse (403, in Chinese) a pairing write the user does not keep: a role that does not
    keep household pairings, or a coordinator naming another unit's helper or a household in a
    village their unit is not paired with."""
    kept_require(user, "household_pairing")
    keeper = pairing_keeper(user)
    if helper is not None and not keeper.allows(helper_unit_id=helper.unit_id, village_id=None):
        raise PermissionDenied(
            _("帮扶单位联络人只能调整本单位帮扶责任人的结对（%(helper)s 不是本单位的）。")
            % {"helper": helper.name}
        )
    if household is not None and not keeper.allows(
        helper_unit_id=None, village_id=household.village_id
    ):
        raise PermissionDenied(
            _("%(household)s户所在村未与本单位结对，帮扶单位联络人不能调整该户的结对。")
            % {"household": household.head_name}
        )


def pairings_kept_by(user: User) -> HouseholdPairingQuerySet:
    """The pairings in the user's scope that the user may change."""
    pairings = HouseholdPairing.objects.visible_to(user)
    if not may_keep_household_pairings(user):
        return pairings.none()
    keeper = pairing_keeper(user)
    if keeper.unit_id is not None:
        pairings = pairings.filter(
            helper__unit_id=keeper.unit_id, household__village_id__in=keeper.village_ids or []
        )
    return pairings


def pairing_label(pairing: HouseholdPairing) -> str:
    """A pairing as a refusal names it: 帮扶人甲 → 张三户（2025-01-01 起）."""
    if pairing.end_date is None:
        span = _("%(start)s 起") % {"start": pairing.start_date.isoformat()}
    else:
        span = _("%(start)s 至 %(end)s") % {
            "start": pairing.start_date.isoformat(),
            "end": pairing.end_date.isoformat(),
        }
    return _("%(helper)s → %(household)s户（%(span)s）") % {
        "helper": pairing.helper.name,
        "household": pairing.household.head_name,
        "span": span,
    }


def _check_pairing(pairing: HouseholdPairing, errors: dict[str, list[str]]) -> None:
    if pairing.start_date is None:
        errors.setdefault("start_date", []).append(_("请填写结对日期。"))
    elif pairing.end_date is not None and pairing.end_date < pairing.start_date:
        errors.setdefault("end_date", []).append(_("解除日期不能早于结对日期。"))
    elif pairing.start_date < datetime.date(2000, 1, 1):
        errors.setdefault("start_date", []).append(_("结对日期不合理。"))
    left_on = getattr(pairing.helper, "left_on", None) if pairing.helper_id else None
    if left_on is not None and pairing.start_date is not None and pairing.start_date >= left_on:
        errors.setdefault("helper", []).append(
            _("%(helper)s 已于 %(day)s 离任，不能从 %(start)s 起结对。")
            % {
                "helper": pairing.helper.name,
                "day": left_on.isoformat(),
                "start": pairing.start_date.isoformat(),
            }
        )
    if pairing.start_date is not None and pairing.helper_id and pairing.household_id:
        overlapping = (
            HouseholdPairing.objects.filter(
                household_id=pairing.household_id, helper_id=pairing.helper_id
            )
            .overlapping(pairing.start_date, pairing.end_date or datetime.date.max)
            .exclude(pk=pairing.pk)
            .select_related("helper", "household")
            .order_by("start_date", "id")
            .first()
        )
        if overlapping is not None:
            errors.setdefault("start_date", []).append(
                _(
                    "同一帮扶责任人与同一户不能同时有两条生效的结对：已有结对“%(pairing)s”"
                    "与这段时间重叠。"
                )
                % {"pairing": pairing_label(overlapping)}
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


def _check_unit(user: User, unit: Unit | None) -> None:
    kept_ensure_visible(Unit, user, unit)
    keeper = pairing_keeper(user)
    if unit is not None and keeper.unit_id is not None and unit.pk != keeper.unit_id:
        raise PermissionDenied(_("帮扶单位联络人只能登记本单位的结对。"))


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
    kept_require(user, "household_pairing")
    kept_ensure_visible(Household, user, household)
    kept_ensure_visible(Cadre, user, helper)
    _check_unit(user, unit)
    pairing_keeper_require(user, helper=helper, household=household)
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
    kept_require(user, "household_pairing")
    kept_ensure_visible(HouseholdPairing, user, pairing)
    pairing_keeper_require(user, helper=pairing.helper, household=pairing.household)
    if changes.get("helper") is not None:
        kept_ensure_visible(Cadre, user, changes["helper"])
        pairing_keeper_require(user, helper=changes["helper"])
    if "unit" in changes:
        _check_unit(user, changes["unit"])
    touched = {pairing.helper_id}
    kept_apply(pairing, changes, PAIRING_FIELDS)
    touched.add(pairing.helper_id)
    return _save_pairing(pairing, touched)


def household_pairing_end(
    *, user: User, pairing: HouseholdPairing, day: datetime.date | None
) -> HouseholdPairing:
    """End a pairing on `day` (its last day in force); it keeps its record and its visits up
    to that day, and visits after it stop counting, in the same transaction."""
    if day is None:
        kept_require(user, "household_pairing")
        raise ValidationError({"end_date": [_("请填写解除日期。")]})
    return household_pairing_update(user=user, pairing=pairing, end_date=day)


def household_pairing_delete(*, user: User, pairing: HouseholdPairing) -> None:
    """Remove a pairing entered by mistake, while no visit is attributed to it (otherwise it is
    ended with a date); the helper's visits are decided again without it."""
    kept_require(user, "household_pairing")
    kept_ensure_visible(HouseholdPairing, user, pairing)
    pairing_keeper_require(user, helper=pairing.helper, household=pairing.household)
    with transaction.atomic():
        household_id, helper_id = pairing.household_id, pairing.helper_id
        kept_delete(pairing, end_field="end_date")
        visits_recredit(household_id=household_id, helper_ids={helper_id})


# --- handing a household over to another helper --------------------------------------------
@dataclass
class Handover:
    """One household handed over: the old pairing (ended the day before) and the new one."""

    old: HouseholdPairing
    new: HouseholdPairing


def _handover_errors(
    pairing: HouseholdPairing, helper: Cadre | None, day: datetime.date | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    label = pairing_label(pairing)
    if helper is None:
        errors.setdefault("helper", []).append(_("请选择接替的帮扶责任人。"))
    elif helper.pk == pairing.helper_id:
        errors.setdefault("helper", []).append(
            _("接替的帮扶责任人与原结对“%(pairing)s”的帮扶责任人相同。") % {"pairing": label}
        )
    if day is None:
        errors.setdefault("day", []).append(_("请填写交接日期。"))
        return errors
    if day <= pairing.start_date:
        errors.setdefault("day", []).append(
            _(
                "交接日期（%(day)s）须晚于原结对“%(pairing)s”的结对日期：原结对在交接日期前一天"
                "解除，不能早于它开始的那一天。"
            )
            % {"day": day.isoformat(), "pairing": label}
        )
    elif pairing.end_date is not None and day > pairing.end_date:
        errors.setdefault("day", []).append(
            _("原结对“%(pairing)s”已于 %(end)s 解除，交接日期（%(day)s）不能晚于解除日期。")
            % {"pairing": label, "end": pairing.end_date.isoformat(), "day": day.isoformat()}
        )
    if helper is not None and helper.pk != pairing.helper_id and not errors.get("day"):
        new = HouseholdPairing(
            household=pairing.household,
            helper=helper,
            start_date=day,
            end_date=pairing.end_date,
        )
        new_errors: dict[str, list[str]] = {}
        _check_pairing(new, new_errors)
        for messages in new_errors.values():
            errors.setdefault("helper", []).extend(messages)
    return errors


def _handover_apply(
    pairing: HouseholdPairing, helper: Cadre, day: datetime.date, unit: Unit | None
) -> Handover:
    """In the caller's transaction: the old pairing ends the day before, the new one starts on
    the day (to the old one's planned end, if it had one)."""
    planned_end = pairing.end_date
    pairing.end_date = day - datetime.timedelta(days=1)
    pairing.save(update_fields=["end_date"])
    new = HouseholdPairing.objects.create(
        household=pairing.household,
        helper=helper,
        unit=unit if unit is not None else helper.unit,
        start_date=day,
        end_date=planned_end,
    )
    visits_recredit(household_id=pairing.household_id, helper_ids={pairing.helper_id, helper.pk})
    return Handover(old=pairing, new=new)


def household_pairing_handover(
    *,
    user: User,
    pairing: HouseholdPairing,
    helper: Cadre | None,
    day: datetime.date | None,
    unit: Unit | None = None,
) -> Handover:
    """Hand a household over to another helper on `day`: the old pairing keeps its record and
    ends the day before, the new one starts on the day, in one transaction; each visit stays
    attributed to (and counted for) the helper who was paired on its date."""
    kept_require(user, "household_pairing")
    kept_ensure_visible(HouseholdPairing, user, pairing)
    kept_ensure_visible(Cadre, user, helper)
    pairing_keeper_require(user, helper=pairing.helper, household=pairing.household)
    if helper is not None:
        pairing_keeper_require(user, helper=helper)
    _check_unit(user, unit)
    errors = _handover_errors(pairing, helper, day)
    if errors:
        raise ValidationError(errors)
    assert helper is not None and day is not None  # no errors: both given
    with transaction.atomic():
        locked = HouseholdPairing.objects.select_for_update().get(pk=pairing.pk)
        if locked.end_date != pairing.end_date or locked.start_date != pairing.start_date:
            raise ValidationError({"day": [_("该结对刚被他人修改，请刷新页面后再交接。")]})
        return _handover_apply(pairing, helper, day, unit)


def helper_pairings_in_force(
    *, user: User, helper: Cadre, day: datetime.date
) -> QuerySet[HouseholdPairing]:
    """A departing helper's pairings in force on `day` that the user may hand over."""
    return (
        pairings_kept_by(user)
        .filter(helper=helper)
        .in_force(day)
        .select_related("household__village", "helper", "unit")
        .order_by("household__path", "household__head_name", "id")
    )


def household_pairings_reassign(
    *,
    user: User,
    helper: Cadre,
    day: datetime.date | None,
    to_helper: Cadre | None = None,
    choices: dict[int, Cadre] | None = None,
) -> list[Handover]:
    """Hand all of a departing helper's pairings in force on `day` (in the user's scope) to
    one new helper, or each to the helper `choices` names for its pairing id (`to_helper` for
    the rest), on that day: all or nothing, every refusal naming its pairing. Returns what
    changed."""
    kept_require(user, "household_pairing")
    kept_ensure_visible(Cadre, user, helper)
    pairing_keeper_require(user, helper=helper)
    choices = dict(choices or {})
    for chosen in [to_helper, *choices.values()]:
        kept_ensure_visible(Cadre, user, chosen)
        if chosen is not None:
            pairing_keeper_require(user, helper=chosen)
    if day is None:
        raise ValidationError({"day": [_("请填写交接日期。")]})
    pairings = list(helper_pairings_in_force(user=user, helper=helper, day=day))
    if not pairings:
        raise ValidationError(
            {
                "helper": [
                    _("%(helper)s 在 %(day)s 没有您可以调整的生效结对。")
                    % {"helper": helper.name, "day": day.isoformat()}
                ]
            }
        )
    unknown = set(choices) - {p.pk for p in pairings}
    if unknown:
        raise ValidationError({"choices": [_("所选结对不是该帮扶责任人在交接日期生效的结对。")]})
    problems: list[str] = []
    targets: list[tuple[HouseholdPairing, Cadre]] = []
    for pairing in pairings:
        target = choices.get(pairing.pk, to_helper)
        if target is None:
            problems.append(
                _("%(pairing)s：请选择接替的帮扶责任人。") % {"pairing": pairing_label(pairing)}
            )
            continue
        errors = _handover_errors(pairing, target, day)
        for messages in errors.values():
            problems.extend(messages)
        targets.append((pairing, target))
    if problems:
        raise ValidationError({"__all__": problems})
    with transaction.atomic():
        ids = [p.pk for p in pairings]
        locked = {
            p.pk: (p.start_date, p.end_date)
            for p in HouseholdPairing.objects.select_for_update().filter(pk__in=ids)
        }
        if any(locked.get(p.pk) != (p.start_date, p.end_date) for p in pairings):
            raise ValidationError({"__all__": [_("有结对刚被他人修改，请刷新页面后再交接。")]})
        return [_handover_apply(pairing, target, day, None) for pairing, target in targets]


# --- households ----------------------------------------------------------------------------
HOUSEHOLD_FIELDS = {
    "village",
    "group_name",
    "head_name",
    "head_id_number",
    "phone",
    "size",
    "cause",
    "track",
    "key_difficulty",
    "status",
    "registered_year",
    "exit_year",
    "food_clothing_ok",
    "education_ok",
    "medical_ok",
    "housing_ok",
    "water_ok",
    "address",
}
# A household's own parts: entered with it, removed with it.
HOUSEHOLD_PARTS = {"members", "incomes"}


def _id_taken(user: User, household: Household, errors: dict[str, list[str]]) -> None:
    number = household.head_id_number
    if not number:
        return
    other = (
        Household.objects.filter(head_id_number=number)
        .exclude(pk=household.pk)
        .select_related("village")
        .first()
    )
    if other is None:
        return
    if Household.objects.visible_to(user).filter(pk=other.pk).exists():
        message = _("该身份证号已登记为%(village)s %(name)s户的户主。") % {
            "village": other.village.name,
            "name": other.head_name,
        }
    else:
        message = _("该身份证号已在您管辖范围以外的地方登记为户主，请与当地核实。")
    errors.setdefault("head_id_number", []).append(message)


def _duplicates_check(
    user: User, household: Household, errors: dict[str, list[str]], confirm: bool
) -> None:
    """The duplicate-household rules (households/duplicates.py): the head's ID number among
    another household's members is refused; the same head name and birth date in another
    village, or the same phone, is a warning the user confirms (`confirm_duplicates`)."""
    problems = duplicates.household_entry_problems(user, household)
    for name, messages in problems.refusals.items():
        errors.setdefault(name, []).extend(messages)
    if problems.warnings and not confirm:
        errors.setdefault("confirm_duplicates", []).extend(
            [*problems.warnings, str(duplicates.CONFIRM_HINT)]
        )


def _household_save(user: User, household: Household, confirm: bool = False) -> Household:
    household.head_id_number = normalise_id_number(household.head_id_number or "")
    household.head_name = (household.head_name or "").strip()
    if household.village_id is None:
        raise ValidationError({"village": [_("请选择村。")]})
    household.fill_derived()
    # Without a name there are no initials: the refusal is the name's ("不能为空"), not theirs.
    household.name_initials = household.name_initials or "-"
    errors: dict[str, list[str]] = {}
    _id_taken(user, household, errors)
    _duplicates_check(user, household, errors, confirm)
    if household.status == PovertyStatus.EXITED and household.exit_year is None:
        errors.setdefault("exit_year", []).append(_("已脱贫的户请填写脱贫年度。"))
    return kept_save(
        household,
        errors=errors,
        unique_error=("head_id_number", str(_("该身份证号已登记为户主。"))),
    )


def household_record(*, user: User, village: Village, **fields: Any) -> Household:
    """Register a household in a village of the user's scope (township staff; reviewers may
    correct). The head's ID number is unique: a number already registered is refused with the
    household it belongs to."""
    kept_require(user, "household")
    kept_ensure_visible(Village, user, village)
    confirm = bool(fields.pop("confirm_duplicates", False))
    household = Household(village=village)
    kept_apply(household, fields, HOUSEHOLD_FIELDS - {"village"})
    return _household_save(user, household, confirm)


def household_update(*, user: User, household: Household, **changes: Any) -> Household:
    kept_require(user, "household")
    kept_ensure_visible(Household, user, household)
    if "village" in changes:
        kept_ensure_visible(Village, user, changes["village"])
    confirm = bool(changes.pop("confirm_duplicates", False))
    kept_apply(household, changes, HOUSEHOLD_FIELDS)
    return _household_save(user, household, confirm)


def household_end(
    *, user: User, household: Household, day: datetime.date | None, reason: str = ""
) -> Household:
    """A household on the register is never deleted once records refer to it: it exits
    (脱贫, its status) in the year of `day`, and keeps its helpers, visits and plan."""
    kept_require(user, "household")
    kept_ensure_visible(Household, user, household)
    if day is None:
        raise ValidationError({"exit_year": [_("请填写脱贫日期。")]})
    if day > timezone.localdate():
        raise ValidationError({"exit_year": [_("脱贫日期不能晚于今天。")]})
    household.status = PovertyStatus.EXITED
    household.exit_year = day.year
    return _household_save(user, household)


def household_delete(*, user: User, household: Household) -> None:
    """Delete a household entered by mistake (with its members and incomes) while no other
    record refers to it; otherwise it is marked exited instead."""
    kept_require(user, "household")
    kept_ensure_visible(Household, user, household)
    found = references(household, ignore=HOUSEHOLD_PARTS)
    if found:
        raise ValidationError(
            {
                "__all__": [
                    _("已有记录引用（%(refs)s），不能删除；请将该户标记为已脱贫（退出）。")
                    % {"refs": "、".join(found)}
                ]
            }
        )
    kept_delete(household, end_field=None, ignore=HOUSEHOLD_PARTS)


# --- members -------------------------------------------------------------------------------
MEMBER_FIELDS = {"name", "relation", "id_number", "birth_year", "health", "education", "works_away"}


def _member_save(user: User, member: Member) -> Member:
    member.id_number = normalise_id_number(member.id_number or "") or None
    member.name = (member.name or "").strip()
    errors: dict[str, list[str]] = {}
    if member.id_number:
        other = (
            Member.objects.filter(id_number=member.id_number)
            .exclude(pk=member.pk)
            .select_related("household")
            .first()
        )
        if other is not None:
            if Member.objects.visible_to(user).filter(pk=other.pk).exists():
                message = _("该身份证号已登记为%(household)s户的家庭成员%(name)s。") % {
                    "household": other.household.head_name,
                    "name": other.name,
                }
            else:
                message = _("该身份证号已在您管辖范围以外登记为家庭成员，请与当地核实。")
            errors.setdefault("id_number", []).append(message)
    if not errors.get("id_number"):
        refusal = duplicates.member_id_refusal(user, member)
        if refusal:
            errors.setdefault("id_number", []).append(refusal)
    if member.relation == Member.Relation.HEAD:
        head = (
            Member.objects.filter(household_id=member.household_id, relation=Member.Relation.HEAD)
            .exclude(pk=member.pk)
            .first()
        )
        if head is not None:
            errors.setdefault("relation", []).append(
                _("该户已登记户主（%(name)s），一户只有一位户主。") % {"name": head.name}
            )
    year = member.birth_year
    if year is not None and not 1900 <= year <= timezone.localdate().year:
        errors.setdefault("birth_year", []).append(_("出生年份应在 1900 年至今年之间。"))
    return kept_save(
        member, errors=errors, unique_error=("id_number", str(_("该身份证号已登记。")))
    )


def member_record(*, user: User, household: Household, **fields: Any) -> Member:
    kept_require(user, "member")
    kept_ensure_visible(Household, user, household)
    member = Member(household=household)
    kept_apply(member, fields, MEMBER_FIELDS)
    return _member_save(user, member)


def member_update(*, user: User, member: Member, **changes: Any) -> Member:
    kept_require(user, "member")
    kept_ensure_visible(Member, user, member)
    kept_apply(member, changes, MEMBER_FIELDS)
    return _member_save(user, member)


def member_delete(*, user: User, member: Member) -> None:
    kept_require(user, "member")
    kept_ensure_visible(Member, user, member)
    kept_delete(member, end_field=None)


# --- yearly incomes ------------------------------------------------------------------------
INCOME_FIELDS = {"year", "per_capita_net_income"}


def _income_save(income: IncomeRecord) -> IncomeRecord:
    errors: dict[str, list[Any]] = {}
    year = income.year
    if year is not None and not 2000 <= year <= timezone.localdate().year:
        errors.setdefault("year", []).append(_("年度应在 2000 年至今年之间。"))
    other = (
        IncomeRecord.objects.filter(household_id=income.household_id, year=year)
        .exclude(pk=income.pk)
        .first()
    )
    if year is not None and other is not None:
        errors.setdefault("year", []).append(
            existing_record(
                _("该户 %(year)d 年已有收入记录（年人均纯收入 %(amount)s 元）")
                % {"year": year, "amount": other.per_capita_net_income},
                pk=other.pk,
                edit="households:income_edit",
                api="api:household-income-detail",
            )
        )
    return kept_save(
        income,
        errors=errors,
        unique_error=("year", str(_("该户这一年度已有收入记录。"))),
    )


def income_record(
    *, user: User, household: Household, year: int, per_capita_net_income: Decimal
) -> IncomeRecord:
    kept_require(user, "income")
    kept_ensure_visible(Household, user, household)
    return _income_save(
        IncomeRecord(household=household, year=year, per_capita_net_income=per_capita_net_income)
    )


def income_update(*, user: User, income: IncomeRecord, **changes: Any) -> IncomeRecord:
    kept_require(user, "income")
    kept_ensure_visible(IncomeRecord, user, income)
    kept_apply(income, changes, INCOME_FIELDS)
    return _income_save(income)


def income_delete(*, user: User, income: IncomeRecord) -> None:
    kept_require(user, "income")
    kept_ensure_visible(IncomeRecord, user, income)
    kept_delete(income, end_field=None)


# --- one household, one plan (一户一策) and its measures --------------------------------------
PLAN_FIELDS = {"summary", "drawn_up_on"}
MEASURE_FIELDS = {"content", "owner", "deadline", "status", "done_on"}


def _plan_save(plan: Plan) -> Plan:
    errors: dict[str, list[str]] = {}
    if plan.drawn_up_on is not None and plan.drawn_up_on > timezone.localdate():
        errors.setdefault("drawn_up_on", []).append(_("制定日期不能晚于今天。"))
    other = Plan.objects.filter(household_id=plan.household_id).exclude(pk=plan.pk).first()
    if other is not None:
        errors.setdefault("household", []).append(
            _("该户已有一户一策（制定于 %(day)s），请修改那一份。")
            % {"day": other.drawn_up_on.isoformat()}
        )
    plan.summary = (plan.summary or "").strip()
    return kept_save(plan, errors=errors, unique_error=("household", str(_("该户已有一户一策。"))))


def plan_record(
    *, user: User, household: Household, drawn_up_on: datetime.date, summary: str = ""
) -> Plan:
    kept_require(user, "plan")
    kept_ensure_visible(Household, user, household)
    return _plan_save(
        Plan(household=household, drawn_up_on=drawn_up_on, summary=summary, created_by=user)
    )


def plan_update(*, user: User, plan: Plan, **changes: Any) -> Plan:
    kept_require(user, "plan")
    kept_ensure_visible(Plan, user, plan)
    kept_apply(plan, changes, PLAN_FIELDS)
    return _plan_save(plan)


def plan_delete(*, user: User, plan: Plan) -> None:
    """A plan without measures may be removed; one with measures keeps them."""
    kept_require(user, "plan")
    kept_ensure_visible(Plan, user, plan)
    kept_delete(plan, end_field=None)


def _measure_save(user: User, measure: Measure) -> Measure:
    errors: dict[str, list[str]] = {}
    measure.content = (measure.content or "").strip()
    today = timezone.localdate()
    if measure.status == MeasureStatus.DONE and measure.done_on is None:
        measure.done_on = today
    if measure.done_on is not None:
        if measure.status != MeasureStatus.DONE:
            errors.setdefault("done_on", []).append(_("填写了完成日期的措施，进度应为“已完成”。"))
        elif measure.done_on > today:
            errors.setdefault("done_on", []).append(_("完成日期不能晚于今天。"))
    return kept_save(measure, errors=errors)


def measure_record(
    *,
    user: User,
    plan: Plan,
    content: str,
    deadline: datetime.date,
    owner: Cadre | None = None,
    status: str = MeasureStatus.PLANNED,
    done_on: datetime.date | None = None,
) -> Measure:
    """A measure of a household's plan with its deadline and responsible person; marking it
    done without a date dates it today."""
    kept_require(user, "measure")
    kept_ensure_visible(Plan, user, plan)
    kept_ensure_visible(Cadre, user, owner)
    measure = Measure(
        plan=plan,
        content=content,
        deadline=deadline,
        owner=owner,
        status=status or MeasureStatus.PLANNED,
        done_on=done_on,
    )
    return _measure_save(user, measure)


def measure_update(*, user: User, measure: Measure, **changes: Any) -> Measure:
    kept_require(user, "measure")
    kept_ensure_visible(Measure, user, measure)
    if changes.get("owner") is not None:
        kept_ensure_visible(Cadre, user, changes["owner"])
    if changes.get("status") not in (None, MeasureStatus.DONE) and "done_on" not in changes:
        changes["done_on"] = None  # no longer done: no completion date
    kept_apply(measure, changes, MEASURE_FIELDS)
    return _measure_save(user, measure)


def measure_delete(*, user: User, measure: Measure) -> None:
    """A measure no visit names may be removed; one a visit names keeps its record (change
    its status instead)."""
    kept_require(user, "measure")
    kept_ensure_visible(Measure, user, measure)
    found = references(measure)
    if found:
        raise ValidationError(
            {
                "__all__": [
                    _("已有记录引用（%(refs)s），不能删除；请改为修改它的进度。")
                    % {"refs": "、".join(found)}
                ]
            }
        )
    kept_delete(measure, end_field=None)
