import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('merchants', '0006_merchant_failure_notifications'),
    ]

    operations = [
        migrations.AddField(
            model_name='merchant',
            name='remember_choices',
            field=models.BooleanField(default=False, help_text='Preselect the option and pickup point a returning shopper chose last time.'),
        ),
        migrations.AddField(
            model_name='merchant',
            name='remember_days',
            field=models.PositiveIntegerField(default=365, help_text="Days a shopper's last choice is kept after they last used it.", validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3650)]),
        ),
    ]
