"""How a share of subjects meeting an indicator stands, defined once: met at 100 %, close
(接近) from 80 % — the dashboards' badges have always said so —, behind below. The badges of
the dashboard tables (selectors.Share.level, ChildRow.level) and the colour of every bar of
the share charts (charts.share_bars) read it here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SHARE_MET = 1.0
SHARE_CLOSE = 0.8

MET, CLOSE, BEHIND = "met", "close", "behind"
STATUS_LABELS = {MET: _("达标"), CLOSE: _("接近"), BEHIND: _("落后")}
# The badge classes of app.css for each status.
BADGE = {MET: "ok", CLOSE: "warn", BEHIND: "bad"}


def share_status(share: float) -> str:
    """met, close or behind for a share between 0 and 1."""
    if share >= SHARE_MET:
        return MET
    return CLOSE if share >= SHARE_CLOSE else BEHIND


def share_level(share: float) -> str:
    """The badge class (ok, warn, bad) of a share."""
    return BADGE[share_status(share)]
