"""factory_boy factories for the domain. Each builds a valid row with its parents; pass what a
test cares about and let the rest default."""

import datetime
import itertools
from decimal import Decimal

import factory
from stdnum.cn import ric

from accounts.models import Role, User
from cadres.models import Cadre, CadreKind, FieldDay, Term, WorkTeam, WorkTeamMember
from households.models import (
    AssistanceTrack,
    Household,
    HouseholdPairing,
    Measure,
    Plan,
    PovertyCause,
    Visit,
)
from pairing.models import (
    Meeting,
    MeetingKind,
    Pairing,
    PairingKind,
    PartyOrganisation,
    Training,
    TrainingKind,
    Unit,
    UnitKind,
)
from villages.models import Region, RegionLevel, Village, VillageIncome

TEST_PASSWORD = "Test-pass-2026"
_id_serial = itertools.count(1)


def make_id_number(prefix: str = "110105", born_year: int = 1980) -> str:
    """A valid, unique 18-digit ID number (real region prefix, correct check digit)."""
    serial = next(_id_serial)
    born = datetime.date(born_year, 1, 1) + datetime.timedelta(days=serial // 1000 % 3650)
    body = f"{prefix}{born:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"{90 + n % 9}{n:06d}")
    name = factory.Sequence(lambda n: f"区划{n}")
    level = RegionLevel.PROVINCE
    parent = None


class VillageFactory(factory.django.DjangoModelFactory):
    """A village with its own region node under the given township (a new county and township
    when none is given)."""

    class Meta:
        model = Village

    class Params:
        township = None

    name = factory.Sequence(lambda n: f"测试{n}村")
    is_poor_village = True
    planned_exit_year = 2026
    venue_area_m2 = Decimal("120")
    latitude = Decimal("32.230000")
    longitude = Decimal("106.290000")

    @factory.lazy_attribute
    def region(self):
        township = self.township or make_township()
        return RegionFactory(level=RegionLevel.VILLAGE, parent=township, name=self.name)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.pop("township", None)
        return super()._create(model_class, *args, **kwargs)


def make_county(name: str = "测试县") -> Region:
    province = Region.objects.filter(level=RegionLevel.PROVINCE).first() or RegionFactory(
        name="四川省", level=RegionLevel.PROVINCE
    )
    prefecture = Region.objects.filter(level=RegionLevel.PREFECTURE).first() or RegionFactory(
        name="广元市", level=RegionLevel.PREFECTURE, parent=province
    )
    return RegionFactory(name=name, level=RegionLevel.COUNTY, parent=prefecture)


def make_township(county: Region | None = None, name: str | None = None) -> Region:
    county = county or make_county()
    return RegionFactory(
        level=RegionLevel.TOWNSHIP, parent=county, **({"name": name} if name else {})
    )


class VillageIncomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VillageIncome

    village = factory.SubFactory(VillageFactory)
    year = 2026
    amount = Decimal("25000")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"帮扶单位{n}")
    kind = UnitKind.ENTERPRISE


class PartyOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyOrganisation

    name = factory.Sequence(lambda n: f"党委{n}")
    kind = "committee"
    unit = factory.SubFactory(UnitFactory)


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    kind = PairingKind.ORG_PAIRING
    name = factory.Sequence(lambda n: f"结对{n}")
    lead_unit = factory.SubFactory(UnitFactory)
    village = factory.SubFactory(VillageFactory)
    region = factory.LazyAttribute(lambda o: o.village.region if o.village else None)
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"干部{n}")
    kind = CadreKind.HELPER
    unit = factory.SubFactory(UnitFactory)
    phone = "13800138000"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    head_name = "张三"
    head_id_number = factory.LazyFunction(make_id_number)
    size = 3
    cause = PovertyCause.ILLNESS
    track = AssistanceTrack.INDUSTRY
    phone = "13912345678"


class HouseholdPairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdPairing

    household = factory.SubFactory(HouseholdFactory)
    helper = factory.SubFactory(CadreFactory)
    unit = factory.LazyAttribute(lambda o: o.helper.unit)
    start_date = datetime.date(2025, 1, 1)
    end_date = None


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    household = factory.SubFactory(HouseholdFactory)
    drawn_up_on = datetime.date(2025, 3, 1)
    summary = "发展产业"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    plan = factory.SubFactory(PlanFactory)
    content = "发展生猪养殖"
    deadline = datetime.date(2026, 12, 31)


class VisitFactory(factory.django.DjangoModelFactory):
    """A credited home visit. Built directly (not through the visit service): for tests that
    need visits as data; tests of the crediting rules go through the service."""

    class Meta:
        model = Visit

    household = factory.SubFactory(HouseholdFactory)
    village = factory.LazyAttribute(lambda o: o.household.village if o.household else None)
    helper = factory.SubFactory(CadreFactory)
    visited_on = datetime.date(2026, 3, 2)
    learned = "了解情况"


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    kind = TrainingKind.NIGHT_SCHOOL
    title = "农民夜校"
    held_on = datetime.date(2026, 3, 1)
    village = factory.SubFactory(VillageFactory)
    attendance = 20


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    kind = MeetingKind.SPECIAL
    title = "专题会议"
    held_on = datetime.date(2026, 3, 1)
    village = factory.SubFactory(VillageFactory)
    unit = factory.SubFactory(UnitFactory)


class WorkTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkTeam

    name = factory.Sequence(lambda n: f"工作队{n}")
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)


class WorkTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkTeamMember

    team = factory.SubFactory(WorkTeamFactory)
    cadre = factory.SubFactory(CadreFactory, kind=CadreKind.STATIONED)


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    cadre = factory.SubFactory(CadreFactory, kind=CadreKind.FIRST_SECRETARY)
    village = factory.SubFactory(VillageFactory)
    role = Term.TermRole.FIRST_SECRETARY
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 1, 1)


class FieldDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldDay

    cadre = factory.SubFactory(CadreFactory)
    region = factory.LazyAttribute(lambda o: VillageFactory().region)
    day = datetime.date(2026, 3, 2)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.TOWNSHIP_STAFF
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()
