"""The region tree and villages kept by reviewers: the services' rules (the level and parent
follow from the code, only under a region in scope, the reviewer's own region is kept from
above), the pages (tree, village list, detail, edit, end, delete) and the API writes, each with
the permission trio; a village that records refer to is ended, not deleted."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.serializers.reference import RegionSerializer, VillageSerializer
from tests.factories import HouseholdFactory
from villages import services
from villages.models import Region, RegionLevel, Village

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        key = Token.objects.get_or_create(user=user)[0].key
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- codes and services ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "given, stored, level",
    [
        ("510000000000", "51", RegionLevel.PROVINCE),
        ("510100000000", "5101", RegionLevel.PREFECTURE),
        ("510105000000", "510105", RegionLevel.COUNTY),
        ("510105", "510105", RegionLevel.COUNTY),
        ("510100", "5101", RegionLevel.PREFECTURE),
        ("510105001000", "510105001", RegionLevel.TOWNSHIP),
        ("510105001", "510105001", RegionLevel.TOWNSHIP),
        ("510105001001", "510105001001", RegionLevel.VILLAGE),
        ("５１０１０５００１００１", "510105001001", RegionLevel.VILLAGE),
        ("510105001001002", "510105001001002", RegionLevel.GROUP),
    ],
)
def test_the_level_follows_from_the_code(given, stored, level):
    assert services.division_code(given) == stored
    assert services.region_level_of(stored) == level


@pytest.mark.parametrize("bad", ["", "5101051", "51010500100a", "5100", "510105000", "x"])
def test_a_bad_code_is_refused_on_the_code_field(bad):
    with pytest.raises(ValidationError) as error:
        services.division_code(bad)
    assert "code" in error.value.message_dict


def test_a_reviewer_adds_a_township_and_a_village_under_their_county(tree):
    township = services.region_record(user=tree.reviewer, code="510105002000", name="新华街道")
    assert township.code == "510105002" and township.parent == tree.county
    assert township.level == RegionLevel.TOWNSHIP and township.path == "51/5101/510105/510105002/"
    village = services.village_record(
        user=tree.reviewer, code="510105002001", name="新华村", is_poor_village=True
    )
    assert village.township == township and village.county == tree.county
    assert village.region.level == RegionLevel.VILLAGE and village.is_poor_village
    assert LogEntry.objects.get_for_object(township).count() == 1


def test_a_reviewer_cannot_add_outside_their_scope_or_change_their_own_region(tree):
    before = Region.objects.count()
    with pytest.raises(ValidationError) as error:
        services.region_record(user=tree.reviewer, code="510104021", name="外区街道")
    assert "不在您的管辖范围内" in error.value.message_dict["code"][0]
    with pytest.raises(ValidationError):
        services.region_record(user=tree.reviewer, code="510106", name="金牛区")
    with pytest.raises(Http404):
        services.region_record(
            user=tree.reviewer, code="510104021", name="外区街道", parent=tree.other_county
        )
    with pytest.raises(Http404):
        services.region_update(user=tree.reviewer, region=tree.other_township, name="改名")
    with pytest.raises(PermissionDenied):
        services.region_update(user=tree.reviewer, region=tree.county, name="改名")
    with pytest.raises(ValidationError) as error:
        services.region_record(user=tree.reviewer, code="510105001", name="重复")
    assert "已存在" in error.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as error:
        services.region_record(user=tree.reviewer, code="510105003001", name="无乡镇的村")
    assert "510105003" in error.value.message_dict["code"][0]
    assert Region.objects.count() == before
    tree.other_township.refresh_from_db()
    assert tree.other_township.name == "书院街街道"


def test_township_staff_read_but_cannot_keep_regions(tree):
    with pytest.raises(PermissionDenied):
        services.region_record(user=tree.staff, code="510105001009", name="新村")
    with pytest.raises(PermissionDenied):
        services.village_update(user=tree.staff, village=tree.village, name="改名")
    tree.village.refresh_from_db()
    assert tree.village.name == "宽巷子社区"


def test_renaming_a_village_renames_its_region_and_the_other_way(tree):
    services.village_update(user=tree.reviewer, village=tree.village, name="宽窄巷子")
    assert Region.objects.get(code="510105001001").name == "宽窄巷子"
    services.region_update(user=tree.reviewer, region=tree.village.region, name="宽巷子")
    tree.village.refresh_from_db()
    assert tree.village.name == "宽巷子"
    assert LogEntry.objects.get_for_object(tree.village).exists()


def test_a_village_with_households_is_ended_not_deleted(tree):
    HouseholdFactory(village=tree.village)
    with pytest.raises(ValidationError) as error:
        services.village_delete(user=tree.reviewer, village=tree.village)
    message = error.value.messages[0]
    assert "不能删除" in message and "撤销日期" in message and "贫困户" in message
    assert Village.objects.filter(pk=tree.village.pk).exists()
    services.village_end(
        user=tree.reviewer, village=tree.village, day=datetime.date(2025, 6, 30), reason="合村并居"
    )
    tree.village.refresh_from_db()
    assert tree.village.ended_on == datetime.date(2025, 6, 30)
    assert tree.village.end_reason == "合村并居"


def test_a_village_nothing_refers_to_is_deleted_with_its_region(tree):
    village = services.village_record(user=tree.reviewer, code="510105001009", name="误建村")
    services.village_delete(user=tree.reviewer, village=village)
    assert not Region.objects.filter(code="510105001009").exists()


def test_a_region_with_lower_regions_cannot_be_deleted(tree):
    with pytest.raises(ValidationError) as error:
        services.region_delete(user=tree.reviewer, region=tree.township)
    assert "不能删除" in error.value.messages[0]
    empty = services.region_record(user=tree.reviewer, code="510105009", name="空街道")
    services.region_delete(user=tree.reviewer, region=empty)
    assert not Region.objects.filter(code="510105009").exists()


# --- pages -----------------------------------------------------------------------------------
def test_the_region_tree_is_the_reviewers_subtree_indented(
    client, tree, django_assert_max_num_queries
):
    client.force_login(tree.reviewer)
    for n in range(2, 6):
        services.region_record(user=tree.reviewer, code=f"51010500{n}", name=f"街道{n}")
    with django_assert_max_num_queries(10):  # session, user, notifications, count, page
        response = client.get(reverse("villages:region_list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "青羊区" in page and "少城街道" in page and "宽巷子社区" in page
    assert "锦江区" not in page and "书院街街道" not in page and "四川省" not in page
    assert "\u3000└ <a" in page  # the village, two below the county, indented once more
    assert reverse("villages:region_create") + "?parent=510105001" in page


def test_region_pages_trio(client, tree):
    client.force_login(tree.reviewer)
    response = client.post(
        reverse("villages:region_create"), {"code": "510105002", "name": "新华街道"}
    )
    township = Region.objects.get(code="510105002")
    assert response.status_code == 302
    assert response["Location"] == reverse("villages:region_detail", args=[township.pk])
    page = client.get(response["Location"]).content.decode()
    assert "新华街道" in page and "下级区划" in page
    form = client.get(reverse("villages:region_create") + "?parent=510105002").content.decode()
    assert 'value="510105002"' in form
    bad = client.post(reverse("villages:region_create"), {"code": "510104021", "name": "外"})
    assert bad.status_code == 200 and "不在您的管辖范围内" in bad.content.decode()
    # Township staff read their part of the tree but cannot write.
    client.force_login(tree.staff)
    assert client.get(reverse("villages:region_detail", args=[tree.township.pk])).status_code == 200
    assert client.get(reverse("villages:region_create")).status_code == 403
    response = client.post(
        reverse("villages:region_edit", args=[tree.township.pk]), {"name": "改名"}
    )
    assert response.status_code == 403
    # Out of scope: 404 and nothing changes.
    client.force_login(tree.other_reviewer)
    assert client.get(reverse("villages:region_detail", args=[township.pk])).status_code == 404
    response = client.post(reverse("villages:region_edit", args=[township.pk]), {"name": "改名"})
    assert response.status_code == 404
    township.refresh_from_db()
    assert township.name == "新华街道"


def test_village_pages_trio_and_end_instead_of_delete(client, tree, django_assert_max_num_queries):
    HouseholdFactory(village=tree.village)
    client.force_login(tree.reviewer)
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("villages:village_list"))
    assert listing.status_code == 200 and "宽巷子社区" in listing.content.decode()
    detail = reverse("villages:village_detail", args=[tree.village.pk])
    assert "撤销" in client.get(detail).content.decode()
    edit = client.post(
        reverse("villages:village_edit", args=[tree.village.pk]),
        {
            "name": "宽巷子社区",
            "is_poor_village": "on",
            "venue_area_m2": "150",
            "branch_name": "宽巷子社区党委",
        },
    )
    assert edit.status_code == 302
    tree.village.refresh_from_db()
    assert tree.village.venue_area_m2 == 150 and tree.village.branch_name == "宽巷子社区党委"
    refused = client.post(reverse("villages:village_delete", args=[tree.village.pk]))
    assert refused.status_code == 400
    assert "撤销日期" in refused.content.decode()
    assert Village.objects.filter(pk=tree.village.pk).exists()
    ended = client.post(
        reverse("villages:village_end", args=[tree.village.pk]),
        {"day": "2025-06-30", "reason": "合村并居"},
    )
    assert ended.status_code == 302
    tree.village.refresh_from_db()
    assert tree.village.ended_on == datetime.date(2025, 6, 30)
    created = client.post(
        reverse("villages:village_create"), {"code": "510105001009", "name": "新村"}
    )
    assert created.status_code == 302 and Village.objects.filter(name="新村").exists()
    # Township staff read, cannot write.
    client.force_login(tree.staff)
    assert client.get(detail).status_code == 200
    assert (
        client.post(
            reverse("villages:village_edit", args=[tree.village.pk]), {"name": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("villages:village_end", args=[tree.village.pk]), {"day": "2025-01-01"}
        ).status_code
        == 403
    )
    # Out of scope: 404, nothing changes.
    client.force_login(tree.other_reviewer)
    assert client.get(detail).status_code == 404
    assert (
        client.post(
            reverse("villages:village_edit", args=[tree.village.pk]), {"name": "x"}
        ).status_code
        == 404
    )
    tree.village.refresh_from_db()
    assert tree.village.name == "宽巷子社区"


def test_the_hub_lists_the_region_and_village_pages(client, tree):
    client.force_login(tree.reviewer)
    page = client.get(reverse("structure")).content.decode()
    assert "区划与村" in page
    assert reverse("villages:region_list") in page and reverse("villages:village_list") in page
    # The home app's village pages keep their names.
    assert reverse("villages:list") == "/villages/"
    assert client.get(reverse("villages:detail", args=[tree.village.pk])).status_code == 200


# --- API -------------------------------------------------------------------------------------
def test_the_api_serves_the_same_reads_as_before(tree):
    client = api(tree.reviewer)
    regions = client.get("/api/v1/regions/", {"level": "township"}).json()
    assert [r["code"] for r in regions["results"]] == ["510105001"]
    assert set(regions["results"][0]) == set(RegionSerializer.Meta.fields)
    assert client.get("/api/v1/regions/", {"code": "510105001001"}).json()["count"] == 1
    villages = client.get("/api/v1/villages/", {"q": "宽巷"}).json()
    assert villages["count"] == 1
    assert set(villages["results"][0]) == {*VillageSerializer.Meta.fields, "ended_on", "end_reason"}
    assert client.get("/api/v1/villages/", {"ended": "true"}).json()["count"] == 0


def test_api_region_writes_trio(tree):
    client = api(tree.reviewer)
    created = client.post(
        "/api/v1/regions/", {"code": "510105002000", "name": "新华街道"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "510105002" and created.json()["parent_code"] == "510105"
    again = client.post("/api/v1/regions/", {"code": "510105002", "name": "重复"}, format="json")
    assert again.status_code == 409
    bad = client.post("/api/v1/regions/", {"code": "510104021", "name": "外"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()["errors"]
    pk = created.json()["id"]
    renamed = client.patch(f"/api/v1/regions/{pk}/", {"name": "新华路街道"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "新华路街道"
    unknown = client.patch(f"/api/v1/regions/{pk}/", {"code": "510105003"}, format="json")
    assert unknown.status_code == 400
    # Township staff: 403; another county's reviewer: 404; nothing changes.
    staff = api(tree.staff)
    assert (
        staff.post(
            "/api/v1/regions/", {"code": "510105001009", "name": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        staff.patch(
            f"/api/v1/regions/{tree.township.pk}/", {"name": "x"}, format="json"
        ).status_code
        == 403
    )
    other = api(tree.other_reviewer)
    assert other.patch(f"/api/v1/regions/{pk}/", {"name": "x"}, format="json").status_code == 404
    assert other.delete(f"/api/v1/regions/{pk}/").status_code == 404
    assert Region.objects.get(pk=pk).name == "新华路街道"
    assert client.delete(f"/api/v1/regions/{pk}/").status_code == 204


def test_api_village_writes_trio_and_end_instead_of_delete(tree):
    HouseholdFactory(village=tree.village)
    client = api(tree.reviewer)
    created = client.post(
        "/api/v1/villages/",
        {"code": "510105001009", "name": "新村", "is_poor_village": True, "population": 1200},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["region_code"] == "510105001009" and body["township_name"] == "少城街道"
    assert body["population"] == 1200
    patched = client.patch(
        f"/api/v1/villages/{tree.village.pk}/", {"venue_area_m2": "95.5"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["venue_area_m2"] == "95.5"
    refused = client.delete(f"/api/v1/villages/{tree.village.pk}/")
    assert refused.status_code == 400
    assert "撤销日期" in refused.json()["errors"]["non_field_errors"][0]
    ended = client.post(
        f"/api/v1/villages/{tree.village.pk}/end/",
        {"day": "2025-06-30", "reason": "合村并居"},
        format="json",
    )
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2025-06-30"
    assert ended.json()["end_reason"] == "合村并居"
    assert client.get("/api/v1/villages/", {"ended": "true"}).json()["count"] == 1
    assert client.delete(f"/api/v1/villages/{body['id']}/").status_code == 204
    staff = api(tree.staff)
    assert staff.get(f"/api/v1/villages/{tree.village.pk}/").status_code == 200
    assert (
        staff.patch(
            f"/api/v1/villages/{tree.village.pk}/", {"name": "x"}, format="json"
        ).status_code
        == 403
    )
    other = api(tree.other_reviewer)
    assert (
        other.patch(
            f"/api/v1/villages/{tree.village.pk}/", {"name": "x"}, format="json"
        ).status_code
        == 404
    )
    assert (
        other.post(
            f"/api/v1/villages/{tree.village.pk}/end/", {"day": "2025-01-01"}, format="json"
        ).status_code
        == 404
    )
    tree.village.refresh_from_db()
    assert tree.village.name == "宽巷子社区" and tree.village.ended_on == datetime.date(2025, 6, 30)


def test_api_lists_answer_in_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    for n in range(2, 8):
        services.village_record(user=tree.reviewer, code=f"51010500100{n}", name=f"村{n}")
    client = api(tree.reviewer)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/villages/").json()["count"] == 7
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/regions/").status_code == 200
