"""Logging a visit through the page: the picker, one-step save, errors in Chinese next to their
fields with everything kept, double submits, uploads, scope, review, edit and delete."""

import datetime
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from households.models import CreditStatus, Visit, VisitKind, VisitPhoto
from tests.factories import HouseholdFactory, MeasureFactory
from tests.pages.helpers import jpeg_upload, yesterday

pytestmark = pytest.mark.django_db

CREATE = "households:visit_create"


def form_data(world, **overrides):
    data = {
        "household": world.household_a.pk,
        "submission_token": str(uuid.uuid4()),
        "helper": world.helper_a.pk,
        "visited_on": yesterday().isoformat(),
        "kind": VisitKind.HOME,
        "learned": "了解春耕准备情况，协调化肥",
        "problems": "",
        "latitude": "",
        "longitude": "",
    }
    data.update(overrides)
    return data


class TestPicker:
    @pytest.mark.parametrize("query", ["zs", "ZS", "张", "张三"])
    def test_finds_by_name_or_pinyin_initials(self, world, client, query):
        client.force_login(world.staff_a)
        response = client.get(reverse(CREATE), {"q": query})
        assert f"?household={world.household_a.pk}" in response.content.decode()

    def test_finds_by_last_id_digits(self, world, client):
        client.force_login(world.staff_a)
        digits = world.household_a.head_id_number[-6:]
        response = client.get(reverse(CREATE), {"q": digits})
        assert f"?household={world.household_a.pk}" in response.content.decode()

    def test_never_offers_a_household_outside_scope(self, world, client):
        client.force_login(world.staff_a)
        response = client.get(reverse(CREATE), {"q": "ls"})  # 李四 is in township B
        body = response.content.decode()
        assert "李四" not in body and f"household={world.household_b.pk}" not in body
        assert "没有找到" in body

    def test_form_for_a_household_has_today_and_a_token(self, world, client):
        client.force_login(world.staff_a)
        response = client.get(reverse(CREATE), {"household": world.household_a.pk})
        form = response.context["form"]
        assert form.initial["visited_on"] == timezone.localdate()
        assert isinstance(form.initial["submission_token"], uuid.UUID)
        assert list(form.fields["helper"].queryset) == [world.helper_a]
        body = response.content.decode()
        assert 'name="submission_token"' in body and 'enctype="multipart/form-data"' in body

    def test_household_of_another_township_is_404(self, world, client):
        client.force_login(world.staff_a)
        response = client.get(reverse(CREATE), {"household": world.household_b.pk})
        assert response.status_code == 404
        assert client.get(reverse(CREATE), {"household": "abc"}).status_code == 404

    def test_measure_picker_offers_only_this_households_open_measures(self, world, client):
        own = MeasureFactory(plan__household=world.household_a, content="养牛")
        MeasureFactory(plan__household=world.household_b, content="养羊")
        client.force_login(world.staff_a)
        response = client.get(reverse(CREATE), {"household": world.household_a.pk})
        assert list(response.context["form"].fields["measure"].queryset) == [own]

    def test_cadre_has_no_helper_picker(self, world, client):
        client.force_login(world.cadre_user)
        response = client.get(reverse(CREATE), {"household": world.household_a.pk})
        assert "helper" not in response.context["form"].fields


class TestSave:
    def test_one_step_save_with_photo_shows_on_household_page(self, world, client):
        client.force_login(world.staff_a)
        data = form_data(world, photos=[jpeg_upload()])
        response = client.post(reverse(CREATE), data)
        visit = Visit.objects.get()
        assert response.status_code == 302
        assert response.url == (
            reverse("households:detail", args=[world.household_a.pk]) + f"#visit-{visit.pk}"
        )
        assert visit.credit_status == CreditStatus.CREDITED and visit.photos.count() == 1
        page = client.get(response.url).content.decode()
        assert "了解春耕准备情况" in page
        assert reverse("households:photo_thumb", args=[visit.photos.get().pk]) in page
        assert "走访记录已保存" in page

    def test_double_submit_creates_one_visit(self, world, client):
        client.force_login(world.staff_a)
        data = form_data(world)
        first = client.post(reverse(CREATE), data)
        second = client.post(reverse(CREATE), data)
        assert first.status_code == second.status_code == 302
        assert first.url == second.url
        assert Visit.objects.count() == 1

    def test_errors_are_chinese_next_to_fields_and_input_is_kept(self, world, client):
        client.force_login(world.staff_a)
        tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        data = form_data(
            world,
            visited_on=tomorrow,
            learned="",
            problems="屋顶漏雨",
            latitude="32.2",
            longitude="",
        )
        response = client.post(reverse(CREATE), data)
        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors["visited_on"] == ["走访日期不能晚于今天。"]
        assert form.errors["learned"] == ["请填写了解的情况和帮扶内容。"]
        assert "经度" in form.errors["longitude"][0]
        body = response.content.decode()
        assert "屋顶漏雨" in body and 'value="32.2"' in body and f'value="{tomorrow}"' in body
        assert data["submission_token"] in body
        assert "请修正下面标出的内容" in body
        assert not Visit.objects.exists()

    def test_non_image_upload_is_refused_and_nothing_is_saved(self, world, client):
        client.force_login(world.staff_a)
        fake = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
        response = client.post(reverse(CREATE), form_data(world, photos=[jpeg_upload(), fake]))
        assert response.status_code == 200
        assert "不是有效的图片" in response.context["form"].errors["photos"][0]
        assert "请重新选择" in response.content.decode() or response.context["form"].errors
        assert not Visit.objects.exists() and not VisitPhoto.objects.exists()

    def test_oversized_upload_is_refused(self, world, client, settings):
        settings.UPLOAD_MAX_BYTES = 1000
        client.force_login(world.staff_a)
        big = jpeg_upload(size=(300, 300))
        assert big.size > 1000
        response = client.post(reverse(CREATE), form_data(world, photos=[big]))
        assert "超过" in response.context["form"].errors["photos"][0]
        assert not Visit.objects.exists()

    def test_too_many_photos_is_a_field_error(self, world, client):
        client.force_login(world.staff_a)
        photos = [jpeg_upload(f"p{i}.jpg") for i in range(7)]
        response = client.post(reverse(CREATE), form_data(world, photos=photos))
        assert "最多" in response.context["form"].errors["photos"][0]

    def test_posting_a_household_outside_scope_is_404_and_writes_nothing(self, world, client):
        client.force_login(world.staff_a)
        data = form_data(world, household=world.household_b.pk, helper=world.helper_b.pk)
        response = client.post(reverse(CREATE), data)
        assert response.status_code == 404
        assert not Visit.objects.exists()

    def test_helper_outside_the_picker_is_a_field_error(self, world, client):
        client.force_login(world.staff_a)
        response = client.post(reverse(CREATE), form_data(world, helper=world.helper_b.pk))
        assert "helper" in response.context["form"].errors
        assert not Visit.objects.exists()

    def test_held_visit_says_why(self, world, client):
        client.force_login(world.staff_a)
        taken = datetime.datetime.combine(
            timezone.localdate() - datetime.timedelta(days=30), datetime.time(9)
        )
        response = client.post(
            reverse(CREATE), form_data(world, photos=[jpeg_upload(taken=taken)]), follow=True
        )
        visit = Visit.objects.get()
        assert visit.credit_status == CreditStatus.REVIEW
        body = response.content.decode()
        assert "待审核" in body and "拍摄时间" in body

    def test_far_coordinates_are_held(self, world, client):
        client.force_login(world.staff_a)
        client.post(reverse(CREATE), form_data(world, latitude="33.5", longitude="106.29"))
        assert Visit.objects.get().credit_status == CreditStatus.REVIEW

    def test_cadre_logs_their_own_visit(self, world, client):
        client.force_login(world.cadre_user)
        data = form_data(world)
        data.pop("helper")
        assert client.post(reverse(CREATE), data).status_code == 302
        assert Visit.objects.get().helper == world.helper_a

    def test_household_without_helper_gets_a_chinese_error(self, world, client):
        lonely = HouseholdFactory(village=world.village_a, head_name="王五")
        client.force_login(world.staff_a)
        response = client.post(reverse(CREATE), form_data(world, household=lonely.pk, helper=""))
        assert response.status_code == 200
        assert response.context["form"].errors["helper"] == ["请选择走访人。"]
        assert "没有结对的帮扶责任人" in response.content.decode()
        assert not Visit.objects.exists()

    def test_posting_without_a_household_goes_back_to_the_search(self, world, client):
        client.force_login(world.staff_a)
        data = form_data(world)
        data.pop("household")
        response = client.post(reverse(CREATE), data, follow=True)
        assert "请先查找并选择" in response.content.decode()
        assert response.redirect_chain[-1][0] == reverse(CREATE)
        assert not Visit.objects.exists()


def make_visit(world, client, **overrides):
    client.force_login(world.staff_a)
    client.post(reverse(CREATE), form_data(world, **overrides))
    return Visit.objects.latest("id")


class TestVisitRecord:
    def test_edit_within_window_and_history(self, world, client):
        visit = make_visit(world, client)
        url = reverse("households:visit_edit", args=[visit.pk])
        page = client.get(url).content.decode()
        assert "了解春耕准备情况" in page
        response = client.post(
            url,
            {
                "visited_on": visit.visited_on.isoformat(),
                "kind": VisitKind.PHONE,
                "learned": "电话了解春耕",
                "problems": "缺化肥",
                "measure": "",
                "latitude": "",
                "longitude": "",
            },
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.kind == VisitKind.PHONE and visit.problems == "缺化肥"
        detail = client.get(reverse("households:visit_detail", args=[visit.pk])).content.decode()
        assert "修改记录" in detail and "缺化肥" in detail and "发现的问题" in detail

    def test_edit_errors_keep_input(self, world, client):
        visit = make_visit(world, client)
        url = reverse("households:visit_edit", args=[visit.pk])
        response = client.post(
            url, {"visited_on": "not a date", "kind": VisitKind.HOME, "learned": "新的内容"}
        )
        assert response.status_code == 200
        assert "visited_on" in response.context["form"].errors
        assert "新的内容" in response.content.decode()
        visit.refresh_from_db()
        assert visit.learned == "了解春耕准备情况，协调化肥"

    def test_delete_own_visit(self, world, client):
        visit = make_visit(world, client)
        url = reverse("households:visit_delete", args=[visit.pk])
        assert "确认删除" in client.get(url).content.decode()
        response = client.post(url)
        assert response.url == reverse("households:detail", args=[world.household_a.pk])
        assert not Visit.objects.exists()

    def test_reviewer_accepts_and_refuses_from_the_queue(self, world, client):
        held = make_visit(world, client, latitude="33.5", longitude="106.29")
        other = make_visit(
            world, client, latitude="33.5", longitude="106.29", visited_on="2026-01-05"
        )
        client.force_login(world.reviewer)
        queue = client.get(reverse("households:review_list")).content.decode()
        assert f"visit-{held.pk}" in queue and f"visit-{other.pk}" in queue
        response = client.post(
            reverse("households:visit_review", args=[held.pk]),
            {"decision": "accept", "note": "核实在村", "next": "review"},
        )
        assert response.url == reverse("households:review_list")
        client.post(
            reverse("households:visit_review", args=[other.pk]),
            {"decision": "refuse", "next": "review"},
        )
        held.refresh_from_db()
        other.refresh_from_db()
        assert held.credit_status == CreditStatus.CREDITED and "核实在村" in held.credit_reason
        assert other.credit_status == CreditStatus.REJECTED
        assert "没有待审核" in client.get(reverse("households:review_list")).content.decode()

    def test_review_without_decision_changes_nothing(self, world, client):
        held = make_visit(world, client, latitude="33.5", longitude="106.29")
        client.force_login(world.reviewer)
        response = client.post(reverse("households:visit_review", args=[held.pk]), follow=True)
        assert "请选择审核结论" in response.content.decode()
        held.refresh_from_db()
        assert held.credit_status == CreditStatus.REVIEW

    def test_photo_is_served_in_scope_with_a_thumbnail(self, world, client):
        visit = make_visit(world, client, photos=[jpeg_upload(size=(800, 600))])
        photo = visit.photos.get()
        full = client.get(reverse("households:photo", args=[photo.pk]))
        assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
        thumb = client.get(reverse("households:photo_thumb", args=[photo.pk]))
        assert thumb.status_code == 200
        from io import BytesIO

        from PIL import Image

        image = Image.open(BytesIO(b"".join(thumb.streaming_content)))
        assert max(image.size) <= 360
