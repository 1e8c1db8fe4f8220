"""Photos stored before uploads were re-encoded kept the uploader's extension (`report.html`,
`.svg`, `.js`) and were served with the type it implied. Each stored photo Pillow can open is
re-encoded (EXIF orientation applied; EXIF, XMP and any appended bytes dropped) and renamed to
the extension of its content (.jpg, .png, .webp); its old file and thumbnail are removed. A file
that is missing or not an image is left as it is and logged (the photo view offers such a file
only as a download). Never fails the migration for one file.

Self-contained on purpose (a migration must not change when the app code does); the upload
path's rule is households/models.py visit_photo_path, the re-encoding households/services.py
photo_reencode."""

import io
import logging
import uuid
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations

logger = logging.getLogger("households.migrations")

STORED_FORMATS = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "HEIF": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
}


def _reencode(data: bytes) -> tuple[bytes, str] | None:
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in STORED_FORMATS:
                return None
            image_format, suffix = STORED_FORMATS[image.format]
            picture = ImageOps.exif_transpose(image)
            if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            elif image_format == "WEBP" and picture.mode not in ("RGB", "RGBA"):
                picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
            options = {}
            if image.info.get("icc_profile"):
                options["icc_profile"] = image.info["icc_profile"]
            if image_format in ("JPEG", "WEBP"):
                options["quality"] = 90
            elif image_format == "PNG" and "transparency" in picture.info:
                options["transparency"] = picture.info["transparency"]
            picture.info = {}
            buffer = io.BytesIO()
            picture.save(buffer, image_format, **options)
    return buffer.getvalue(), suffix


def reencode_photos(apps, schema_editor):
    VisitPhoto = apps.get_model("households", "VisitPhoto")
    done = skipped = 0
    for photo_id, name in VisitPhoto.objects.order_by("pk").values_list("pk", "image").iterator():
        if not name:
            continue
        try:
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
        except (FileNotFoundError, OSError) as exc:
            logger.warning(
                "visit photo %s: file %s missing, left as it is (%s)", photo_id, name, exc
            )
            skipped += 1
            continue
        try:
            result = _reencode(data)
        except Exception as exc:  # noqa: BLE001 - any file Pillow cannot read is skipped
            result = None
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = "not a JPG, PNG or WEBP image"
        if result is None:
            logger.warning(
                "visit photo %s: file %s is not an image, left as it is (%s)",
                photo_id,
                name,
                reason,
            )
            skipped += 1
            continue
        content, suffix = result
        folder = name.rsplit("/", 1)[0] if "/" in name else "visits"
        new_name = default_storage.save(
            f"{folder}/{uuid.uuid4().hex}.{suffix}", ContentFile(content)
        )
        VisitPhoto.objects.filter(pk=photo_id).update(image=new_name)
        for old in (name, f"thumbs/{name}.jpg"):
            try:
                if default_storage.exists(old):
                    default_storage.delete(old)
            except OSError as exc:
                logger.warning("visit photo %s: could not remove %s (%s)", photo_id, old, exc)
        done += 1
    if done or skipped:
        logger.warning("visit photos re-encoded: %d, left as they were: %d", done, skipped)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0004_recredit_visits_by_pairing"),
    ]

    operations = [
        migrations.RunPython(reencode_photos, migrations.RunPython.noop, elidable=True),
    ]
