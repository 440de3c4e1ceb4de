"""The merchant portal: shop staff follow their bookings (see views.py)."""

from django.urls import include, path
from django.views.generic import RedirectView

from . import actions, analytics, experiments, options, shop_settings, shoppers, tokens, views

app_name = "portal"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:bookings"), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("bookings/", views.BookingListView.as_view(), name="bookings"),
    path("bookings/export.csv", views.BookingExportView.as_view(), name="bookings_export"),
    path(
        "bookings/export.xlsx",
        views.BookingExcelExportView.as_view(),
        name="bookings_export_xlsx",
    ),
    path("bookings/<uuid:public_id>/", views.BookingDetailView.as_view(), name="booking"),
    path(
        "bookings/<uuid:public_id>/confirm/",
        views.BookingConfirmView.as_view(),
        name="booking_confirm",
    ),
    path(
        "bookings/<uuid:public_id>/dismiss/",
        views.BookingDismissView.as_view(),
        name="booking_dismiss",
    ),
    path(
        "bookings/<uuid:public_id>/retry/", actions.BookingRetryView.as_view(), name="booking_retry"
    ),
    path(
        "bookings/<uuid:public_id>/ask-partner/",
        actions.BookingPartnerRequestView.as_view(),
        name="booking_partner_request",
    ),
    path(
        "bookings/<uuid:public_id>/cancel/",
        actions.BookingCancelView.as_view(),
        name="booking_cancel",
    ),
    path("labels/day/", actions.DayLabelsView.as_view(), name="day_labels"),
    path("labels/<int:label_id>/", views.BookingLabelView.as_view(), name="booking_label"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("analytics/", analytics.AnalyticsView.as_view(), name="analytics"),
    path("analytics/export.csv", analytics.AnalyticsExportView.as_view(), name="analytics_export"),
    path("fallback/", views.FallbackView.as_view(), name="fallback"),
    path("preview/", views.PreviewView.as_view(), name="preview"),
    path("api-tokens/", tokens.ApiTokenListView.as_view(), name="api_tokens"),
    path(
        "api-tokens/<int:token_id>/revoke/",
        tokens.ApiTokenRevokeView.as_view(),
        name="api_token_revoke",
    ),
    path("options/", options.OptionListView.as_view(), name="options"),
    path("options/<int:option_id>/", options.OptionEditView.as_view(), name="option"),
    path("options/<int:option_id>/move/", options.OptionMoveView.as_view(), name="option_move"),
    path(
        "options/<int:option_id>/active/",
        options.OptionActiveView.as_view(),
        name="option_active",
    ),
    path("settings/", shop_settings.ShopSettingsView.as_view(), name="settings"),
    path(
        "settings/forget-shopper/",
        shoppers.ShopperForgetView.as_view(),
        name="shopper_forget",
    ),
    path("experiments/", experiments.ExperimentListView.as_view(), name="experiments"),
    path("experiments/new/", experiments.ExperimentFormView.as_view(), name="experiment_new"),
    path(
        "experiments/<int:experiment_id>/",
        experiments.ExperimentDetailView.as_view(),
        name="experiment",
    ),
    path(
        "experiments/<int:experiment_id>/edit/",
        experiments.ExperimentFormView.as_view(),
        name="experiment_edit",
    ),
    *(
        path(
            f"experiments/<int:experiment_id>/{action}/",
            experiments.ExperimentActionView.as_view(action=action),
            name=f"experiment_{action}",
        )
        for action in ("start", "stop", "delete")
    ),
    path("i18n/", include("django.conf.urls.i18n")),
]
