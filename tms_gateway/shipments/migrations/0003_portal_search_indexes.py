"""The portal at a big shop's size: indexes for the bookings list (newest first, by status,
carrier, option, date range, needing attention), the dashboard and the search.

The selection's carrier and option code become stored generated columns (PostgreSQL computes
them from ``selection``; adding them rewrites the table once): the dashboard then counts a
year of a big shop's bookings per day, carrier and option from one index (an index-only scan;
PostgreSQL reads no expression index that way), and the list filters by them.

The search matches part of any order number, e-mail, name, tracking number or phone
(tms_gateway/shipments/search.py), which only a trigram index serves: PostgreSQL's pg_trgm
extension (shipped with PostgreSQL, created here; ``CREATE EXTENSION`` needs a superuser or, since
PostgreSQL 13, a database owner, as pg_trgm is a trusted extension). The trigram indexes are
PostgreSQL's only: elsewhere (SQLite for ``make run``) they are skipped, and the search works the
same without them.

The expressions are written out here as ``makemigrations`` would (not imported from
search.py): a later change there then shows as a new migration instead of a silently stale index.

Plain AddField and AddIndex, not CONCURRENTLY: writes to the table wait while it is rewritten
and the indexes build (2 minutes for two million bookings on 2 CPUs), so run it in a quiet hour.
"""

from typing import Any

import django.contrib.postgres.indexes
import django.db.models.fields.json
import django.db.models.functions.comparison
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class PostgresAddIndex(migrations.AddIndex):
    """AddIndex on PostgreSQL only; the model's state knows the index everywhere."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0002_confirm_sources_attention_reconcile"),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddField(
            model_name="shipment",
            name="selection_carrier",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.fields.json.KeyTextTransform("carrier", "selection"),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="selection_option_id",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.fields.json.KeyTextTransform("option_id", "selection"),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(
                fields=["merchant", "-created_at", "-id"],
                include=("status", "selection_carrier", "selection_option_id"),
                name="shipment_merchant_created",
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(
                fields=["merchant", "status", "-created_at", "-id"],
                name="shipment_merchant_status",
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(
                fields=["merchant", "selection_carrier", "-created_at", "-id"],
                name="shipment_merchant_carrier",
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(
                fields=["merchant", "selection_option_id", "-created_at", "-id"],
                name="shipment_merchant_option",
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(
                condition=models.Q(attention_since__isnull=False),
                fields=["merchant", "-created_at", "-id"],
                name="shipment_merchant_attention",
            ),
        ),
        PostgresAddIndex(
            model_name="shipment",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.text.Concat(
                            models.F("klarna_order_id"),
                            models.Value(" "),
                            models.F("merchant_reference"),
                            models.Value(" "),
                            models.F("tracking_number"),
                            models.Value(" "),
                            django.db.models.fields.json.KeyTextTransform("email", "recipient"),
                            models.Value(" "),
                            django.db.models.fields.json.KeyTextTransform(
                                "given_name", "recipient"
                            ),
                            models.Value(" "),
                            django.db.models.fields.json.KeyTextTransform(
                                "family_name", "recipient"
                            ),
                            models.Value(" "),
                            django.db.models.fields.json.KeyTextTransform(
                                "company_name", "recipient"
                            ),
                            models.Value(" "),
                            django.db.models.functions.comparison.Cast(
                                "tracking_numbers", output_field=models.TextField()
                            ),
                            output_field=models.TextField(),
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="shipment_search_trgm",
            ),
        ),
        PostgresAddIndex(
            model_name="shipment",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Replace(
                        django.db.models.functions.text.Replace(
                            django.db.models.functions.text.Replace(
                                django.db.models.functions.text.Replace(
                                    django.db.models.functions.text.Replace(
                                        django.db.models.functions.text.Replace(
                                            django.db.models.functions.text.Replace(
                                                django.db.models.fields.json.KeyTextTransform(
                                                    "phone", "recipient"
                                                ),
                                                models.Value(" "),
                                                models.Value(""),
                                                output_field=models.TextField(),
                                            ),
                                            models.Value("-"),
                                            models.Value(""),
                                            output_field=models.TextField(),
                                        ),
                                        models.Value("("),
                                        models.Value(""),
                                        output_field=models.TextField(),
                                    ),
                                    models.Value(")"),
                                    models.Value(""),
                                    output_field=models.TextField(),
                                ),
                                models.Value("+"),
                                models.Value(""),
                                output_field=models.TextField(),
                            ),
                            models.Value("/"),
                            models.Value(""),
                            output_field=models.TextField(),
                        ),
                        models.Value("."),
                        models.Value(""),
                        output_field=models.TextField(),
                    ),
                    name="gin_trgm_ops",
                ),
                name="shipment_phone_trgm",
            ),
        ),
    ]
