"""Dotdigital records of each integration's account, keyed by (integration, Dotdigital id), linked to marketing."""

from django.conf import settings
from django.db import models


class DotdigitalAccess(models.Model):
    """No table: carries the permissions of the Dotdigital pages that show data read live from Dotdigital."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (("view_data_fields", "Can view Dotdigital data fields"),)

    def __str__(self) -> str:
        return "Dotdigital access"


class AddressBook(models.Model):
    """A Dotdigital address book of one integration's account, keyed by (integration, Dotdigital id).

    Linked to at most one marketing list and a list to at most one book (a unique one-to-one). `sync_contacts`
    lets ops leave a huge book out of the contacts import.
    """

    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")
    dotdigital_id = models.BigIntegerField("Dotdigital ID")
    name = models.CharField(max_length=255)
    visibility = models.CharField(max_length=20, blank=True)
    contact_count = models.PositiveIntegerField("Contacts", default=0)
    marketing_list = models.OneToOneField(
        "marketing.MarketingList",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dotdigital_address_book",
        verbose_name="Marketing list",
    )
    sync_contacts = models.BooleanField("Sync contacts", default=True)
    last_synced_at = models.DateTimeField("Last synced", null=True, blank=True)
    # Set by a person's change to the connected list (or its members' mapped fields); the beat tick queues an
    # export-only job once it is a few seconds old (debounced), and the export clears it.
    export_requested_at = models.DateTimeField("Export requested", null=True, blank=True)
    last_exported_at = models.DateTimeField("Last exported", null=True, blank=True)

    class Meta:
        ordering = ("integration", "name", "id")
        constraints = [
            models.UniqueConstraint(fields=["integration", "dotdigital_id"], name="dotdigital_book_account_id_uniq"),
        ]
        permissions = (("connect_address_book", "Can connect address books to marketing lists"),)

    def __str__(self) -> str:
        return self.name


class DotdigitalContact(models.Model):
    """A contact of one integration's Dotdigital account, linked to the marketing contact with its email."""

    # Indexed by the unique (integration, Dotdigital id) index, which starts with it.
    integration = models.ForeignKey(
        "integrations.Integration", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    dotdigital_id = models.BigIntegerField("Dotdigital ID")
    email = models.CharField(max_length=254)
    status = models.CharField(max_length=40, blank=True)
    opt_in_type = models.CharField("Opt-in type", max_length=20, blank=True)
    email_type = models.CharField("Email type", max_length=20, blank=True)
    data_fields = models.JSONField("Data fields", default=dict, blank=True)
    contact = models.ForeignKey(
        "marketing.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="dotdigital_contacts"
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # When an export last sent this contact: until a sync reads it again after that (`updated_at` later), the values
    # above are not what Dotdigital holds.
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("integration", "email")
        constraints = [
            models.UniqueConstraint(fields=["integration", "dotdigital_id"], name="dotdigital_contact_account_id_uniq"),
        ]
        indexes = [models.Index(fields=["integration", "email"], name="dd_contact_email_idx")]

    def __str__(self) -> str:
        return self.email


class AddressBookMembership(models.Model):
    """A Dotdigital contact's place in an address book, as the last sync saw it."""

    # No index of its own on the book: the unique (book, contact) index starts with it (fewer indexes to write on the
    # hundreds of thousands of rows a first sync inserts).
    address_book = models.ForeignKey(AddressBook, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    contact = models.ForeignKey(DotdigitalContact, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address_book", "contact"], name="dotdigital_membership_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.address_book}"


class AddressBookImport(models.Model):
    """One bulk CSV import the export sent into an address book, and what became of it.

    Dotdigital imports run in the background: the export records the import's id and polls its status at the start
    of later export steps (never by sleeping in a worker), then reads its faults. One still unfinished after
    `STUCK_AFTER` is marked stuck and its rows are sent again (Oro's exports stayed "In progress" for ever).
    """

    class Status(models.TextChoices):
        NOT_FINISHED = "NotFinished", "In progress"
        FINISHED = "Finished", "Finished"
        STUCK = "Stuck", "Stuck: rows sent again"
        FAILED = "Failed", "Failed"
        REJECTED = "RejectedByWatchdog", "Rejected"
        INVALID = "InvalidFileFormat", "Invalid file"
        LIMIT = "ExceedsAllowedContactLimit", "Contact limit exceeded"
        UNKNOWN = "Unknown", "Unknown"

    address_book = models.ForeignKey(AddressBook, on_delete=models.CASCADE, related_name="imports")
    job = models.ForeignKey("integrations.SyncJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    import_id = models.CharField("Dotdigital import ID", max_length=100)
    rows_sent = models.PositiveIntegerField("Rows sent", default=0)
    # The marketing contact ids sent, so a stuck import's rows can be sent again without guessing.
    contact_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=40, choices=Status.choices, default=Status.NOT_FINISHED)
    started_at = models.DateTimeField("Started")
    finished_at = models.DateTimeField("Finished", null=True, blank=True)
    faults_count = models.PositiveIntegerField("Faults", default=0)
    faults_sample = models.JSONField("Faults (sample)", default=list, blank=True)
    attempts = models.PositiveSmallIntegerField("Status polls", default=0)
    retried = models.BooleanField("Rows sent again", default=False)

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [models.Index(fields=["address_book", "status"], name="dd_import_book_status_idx")]

    def __str__(self) -> str:
        return f"Import {self.import_id} into {self.address_book_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.NOT_FINISHED


class ExportFault(models.Model):
    """Why Dotdigital rejected a marketing contact's row in the last import of it into one address book."""

    address_book = models.ForeignKey(AddressBook, on_delete=models.CASCADE, related_name="export_faults")
    contact = models.ForeignKey("marketing.Contact", on_delete=models.CASCADE, related_name="dotdigital_faults")
    book_import = models.ForeignKey(AddressBookImport, on_delete=models.SET_NULL, null=True, related_name="faults")
    email = models.CharField(max_length=254)
    reason = models.CharField(max_length=255)
    reported_at = models.DateTimeField("Reported")

    class Meta:
        ordering = ("-reported_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["address_book", "contact"], name="dd_export_fault_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.reason}"


class Campaign(models.Model):
    """A Dotdigital campaign of one integration's account, linked to the marketing email campaign it feeds."""

    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")
    dotdigital_id = models.BigIntegerField("Dotdigital ID")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=40, blank=True)
    email_campaign = models.OneToOneField(
        "marketing.EmailCampaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dotdigital_campaign",
    )
    removed_at = models.DateTimeField("Deleted in Dotdigital", null=True, blank=True)
    last_synced_at = models.DateTimeField("Last synced", null=True, blank=True)

    class Meta:
        ordering = ("integration", "name", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "dotdigital_id"], name="dotdigital_campaign_account_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DataField(models.Model):
    """A contact data field of one integration's Dotdigital account (name, type, visibility, default)."""

    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=20)
    type = models.CharField(max_length=20)
    visibility = models.CharField(max_length=20, blank=True)
    default_value = models.JSONField("Default value", null=True, blank=True)
    notes = models.TextField(blank=True)
    last_synced_at = models.DateTimeField("Last synced", null=True, blank=True)

    class Meta:
        ordering = ("integration", "name")
        constraints = [
            models.UniqueConstraint(fields=["integration", "name"], name="dotdigital_data_field_uniq"),
        ]
        permissions = (("synchronize_datafield", "Can synchronize Dotdigital data fields"),)

    def __str__(self) -> str:
        return self.name


# Email Studio single sign-on ---------------------------------------------------------------------------------------


class EmailStudioConnection(models.Model):
    """One user's single sign-on into one integration's Dotdigital app (Email Studio).

    Only the refresh token is kept, as a Fernet token encrypted with FIELD_ENCRYPTION_KEY (the same keys and rotation
    as the integration's secrets); every visit exchanges it for a short-lived access token that is stored nowhere.
    Changing the integration's OAuth client or Custom OAuth Domain, deactivating or deleting it, removes the rows.
    """

    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    refresh_token = models.TextField("Refresh token (encrypted)", editable=False)
    connected_at = models.DateTimeField("Connected", auto_now_add=True)
    last_signed_in_at = models.DateTimeField("Last signed in", null=True, blank=True)

    class Meta:
        default_permissions = ()
        permissions = (("use_email_studio", "Can use Email Studio (single sign-on into Dotdigital)"),)
        constraints = [
            models.UniqueConstraint(fields=["integration", "user"], name="dotdigital_email_studio_user_uniq"),
        ]

    def __str__(self) -> str:
        return f"Email Studio of {self.user} on {self.integration}"


class EmailStudioChoice(models.Model):
    """The integration a user last opened in Email Studio, shown first on the next visit."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey("integrations.Integration", on_delete=models.CASCADE, related_name="+")

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user} opens {self.integration}"


class DataFieldMapping(models.Model):
    """Which marketing contact fields feed which Dotdigital data fields, for one integration (one mapping each).

    `changed_at` moves whenever a row is added, changed or removed: the export compares it with its own mark and
    re-sends every member of the connected lists once when the mapping changed since.
    """

    integration = models.OneToOneField(
        "integrations.Integration", on_delete=models.CASCADE, related_name="dotdigital_mapping"
    )
    changed_at = models.DateTimeField("Changed", null=True, blank=True)
    updated_at = models.DateTimeField("Updated", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("integration__name", "id")
        verbose_name = "data field mapping"

    def __str__(self) -> str:
        return f"Data field mapping of {self.integration}"


class DataFieldMappingRow(models.Model):
    """One data field fed by one contact field (or, for a String field, several joined with a space).

    `two_way`: the contacts import also writes the data field's value back into the (single) contact field.
    """

    mapping = models.ForeignKey(DataFieldMapping, on_delete=models.CASCADE, related_name="rows")
    data_field = models.ForeignKey(DataField, on_delete=models.CASCADE, related_name="mapping_rows")
    contact_fields = models.JSONField("Contact fields", default=list)
    two_way = models.BooleanField("Two-way", default=False)

    class Meta:
        ordering = ("mapping", "data_field__name")
        constraints = [
            models.UniqueConstraint(fields=["mapping", "data_field"], name="dotdigital_mapping_row_uniq"),
        ]

    def __str__(self) -> str:
        return f"{' + '.join(self.contact_fields)} → {self.data_field_id}"
