import datetime
import io
import random

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def camera_jpeg(
    taken: datetime.datetime | None, size=(4000, 3000), noise: bool = False, seed: int = 1
) -> bytes:
    """A phone camera's photo: 4000 × 3000 JPEG with an EXIF DateTimeOriginal (local time, no
    zone, as cameras write it). `noise` makes it hard to compress (a big file)."""
    if noise:
        rng = random.Random(seed)
        small = Image.frombytes(
            "RGB",
            (size[0] // 4, size[1] // 4),
            bytes(rng.getrandbits(8) for _ in range(3 * (size[0] // 4) * (size[1] // 4))),
        )
        image = small.resize(size, Image.NEAREST)
    else:
        image = Image.new("RGB", size, (90, 140, 60))
        for x in range(0, size[0], 250):
            for y in range(0, size[1], 250):
                image.paste(
                    ((x * 7 + y * 3 + seed * 40) % 255, (y * 5) % 255, 120),
                    (x, y, x + 120, y + 120),
                )
    exif = Image.Exif()
    if taken is not None:
        exif[306] = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()
