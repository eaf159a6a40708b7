"""`manage.py seed_contacts N` fills a development database in bulk."""

import pytest
from django.core.management import CommandError, call_command

from marketing.models import Contact

pytestmark = pytest.mark.django_db


def test_seed_contacts_creates_that_many_spread_over_owners(make_user, capsys):
    first, second = make_user(None, username="a"), make_user(None, username="b")
    call_command("seed_contacts", 250, batch_size=100)
    assert Contact.objects.count() == 250
    assert set(Contact.objects.values_list("owner", flat=True).distinct()) == {first.pk, second.pk}
    assert set(Contact.objects.values_list("source", flat=True).distinct()) == {"import"}
    assert "Created 250 contacts" in capsys.readouterr().out
    call_command("seed_contacts", 10, "--seed", "2")  # a second run adds, it does not collide
    assert Contact.objects.count() == 260


def test_seed_contacts_needs_a_user():
    with pytest.raises(CommandError, match="No active user"):
        call_command("seed_contacts", 5)
