# No sync knows its page count up front (Leap's listings give no total), so the estimate was
# never set; the progress bar is indeterminate instead.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="syncrun",
            name="pages_estimate",
        ),
    ]
