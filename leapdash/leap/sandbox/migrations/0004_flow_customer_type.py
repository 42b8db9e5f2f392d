from django.db import migrations, models


def commercial_demo_flow(apps, schema_editor):
    # the demo's commercial-solar flow is the commercial one; the others are residential
    Flow = apps.get_model("sandbox", "Flow")
    Flow.objects.filter(title="commercial-solar").update(customer_type="COMMERCIAL")


class Migration(migrations.Migration):
    dependencies = [("sandbox", "0003_ops_admin_names")]

    operations = [
        migrations.AddField(
            model_name="flow",
            name="customer_type",
            field=models.CharField(
                choices=[("RESIDENTIAL", "Residential"), ("COMMERCIAL", "Commercial")],
                default="RESIDENTIAL",
                help_text="Leap sets a flow up per customer type: the journey does not ask it",
                max_length=12,
            ),
        ),
        migrations.RunPython(commercial_demo_flow, migrations.RunPython.noop),
    ]
