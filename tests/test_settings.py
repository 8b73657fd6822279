"""The settings file: defaults, overrides, a team's own metric, and mistakes named plainly."""
import pytest

from kpi_reports import UserError, load_settings
from kpi_reports.settings import default_settings_text


def write(tmp_path, text):
    path = tmp_path / "kpi-reports.toml"
    path.write_text(text)
    return path


def test_defaults_hold_the_metrics_of_the_definition():
    settings = load_settings()
    assert settings.metric_ids == ["portal_update_rate", "schedule_rate_14d", "buyer_met_rate_28d",
                                   "seller_sign_rate_28d", "offers_sign_rate_28d", "contact_rate",
                                   "appointment_rate", "contract_rate"]
    assert (settings.rolling_days, settings.top_percent, settings.min_denominator) == (30, 10, 1)
    assert settings.metric("buyer_met_rate_28d").lead_types == ("Buyer",)
    assert "first call" in settings.metric("schedule_rate_14d").tip


def test_a_file_changes_only_what_it_names(tmp_path):
    settings = load_settings(write(tmp_path, '[metrics.contact_rate]\ntip = "Smile and dial."\n'))
    assert settings.metric("contact_rate").tip == "Smile and dial."
    assert settings.metric("contact_rate").numerator == "Contacts"


def test_a_metric_can_be_switched_off(tmp_path):
    settings = load_settings(write(tmp_path, "[metrics.offers_sign_rate_28d]\nenabled = false\n"))
    assert "offers_sign_rate_28d" not in settings.metric_ids


@pytest.mark.parametrize("text, words", [
    ("[windows]\nrolling_day = 14\n", "unknown setting 'rolling_day' in [windows]; did you mean rolling_days?"),
    ("[window]\nrolling_days = 14\n", "unknown setting 'window' in [top level]; did you mean windows?"),
    ("[metrics.x]\nkind = \"cohort\"\nevent = \"Met\"\nplayout_days = 3\n",
     "'playout_days' in [metrics.x]; did you mean play_out_days?"),
    ("[benchmarks]\ntop_percent = \"abc\"\n", "[benchmarks] top_percent must be a whole number, 1 to 100 (found 'abc')"),
    ("[windows]\nrolling_days = 0\n", "[windows] rolling_days must be a whole number, 1 or more (found 0)"),
    ("[metrics.contact_rate]\nenabled = \"no\"\n", "[metrics.contact_rate] enabled must be true or false"),
    ("[metrics.x]\nkind = \"cohort\"\nevent = \"Met\"\nplay_out_days = 2.5\n",
     "[metrics.x] play_out_days must be a whole number, 0 or more (found 2.5)"),
    ("[metrics.x]\nkind = \"ratio\"\n", "needs kind = \"cohort\", \"activity\" or \"deal_updates\""),
    ("[metrics.x]\nkind = \"cohort\"\n", "needs event, play_out_days"),
    ("[metrics.x]\nkind = \"cohort\"\nevent = \"Met\"\nplay_out_days = 3\nlead_types = [\"Renter\"]\n",
     "unknown lead type(s) ['Renter']"),
    ("[windows\n", "is not valid TOML"),
])
def test_mistakes_are_named(tmp_path, text, words):
    with pytest.raises(UserError) as err:
        load_settings(write(tmp_path, text))
    assert words in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(UserError, match="Settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_the_printed_defaults_are_a_valid_settings_file(tmp_path):
    settings = load_settings(write(tmp_path, default_settings_text()))
    assert settings.metric_ids == load_settings().metric_ids
