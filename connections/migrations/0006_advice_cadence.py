"""The advice round: new next actions, the webhooks' view of a session, re-authorization,
the rules' version, idempotent touches and a signed outgoing hook."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0005_table_indexes'),
    ]

    operations = [
        # the shared secret header becomes the key that signs each body (never sent itself)
        migrations.RenameField(
            model_name='outgoinghook',
            old_name='secret_header',
            new_name='signing_secret',
        ),
        migrations.AddField(
            model_name='connection',
            name='reauthorize_since',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='connection',
            name='rules_version',
            field=models.PositiveSmallIntegerField(db_default=1, default=1, help_text='The version of the rules the verdict follows.'),
        ),
        migrations.AddField(
            model_name='connection',
            name='webhook_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='connection',
            name='webhook_state',
            field=models.CharField(blank=True, choices=[('active', 'In a session'), ('pending', 'A utility authorization under way'), ('authorized', 'Connected a utility in this session'), ('abandoned', 'Left without connecting'), ('closed', 'Session closed after connecting a utility'), ('completed', 'Completed')], db_default='', default='', max_length=16),
        ),
        migrations.AddField(
            model_name='outgoinghook',
            name='delivered_count',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='outgoinghook',
            name='refused_count',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='outgoinghook',
            name='signing_secret',
            field=models.CharField(blank=True, help_text='Signs each body (X-Leapdash-Signature); never sent itself.', max_length=200),
        ),
        migrations.AddField(
            model_name='outgoinghook',
            name='unreachable_count',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='touchpoint',
            name='abandoned_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='touchpoint',
            name='key',
            field=models.CharField(blank=True, max_length=100, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='connection',
            name='next_action',
            field=models.CharField(choices=[('IN_PROGRESS', 'In progress'), ('WAIT_FOR_METERS', 'Wait for meters'), ('METERS_ARRIVED', 'Meters arrived'), ('METERS_OVERDUE', 'Meters overdue'), ('RESEND_LINK', 'Resend the link'), ('TAILORED_MESSAGE', 'Send a tailored message'), ('CONNECT_REQUIRED_UTILITY', 'Connect a required utility'), ('SIGN_AGREEMENT', 'Ask to sign an agreement'), ('AGREEMENT_DECLINED', 'Agreement declined'), ('OTHER_UTILITY_CONNECTED', 'Connected another utility'), ('REVIEW_UNKNOWN', 'Review: unexpected data'), ('REAUTHORIZE', 'Ask to re-authorize'), ('PROVIDER_REVIEW', 'Provider reviewing'), ('ASK_LEAP_SUPPORT', 'Ask Leap support')], max_length=32),
        ),
        migrations.AddIndex(
            model_name='connection',
            index=models.Index(fields=['rules_version'], name='conn_rules_version'),
        ),
        migrations.AddIndex(
            model_name='connection',
            index=models.Index(condition=models.Q(('webhook_at__isnull', False)), fields=['webhook_at'], name='conn_webhook_at'),
        ),
        migrations.AddIndex(
            model_name='connection',
            index=models.Index(condition=models.Q(('reauthorize_since__isnull', False)), fields=['reauthorize_since'], name='conn_reauthorize'),
        ),
    ]
